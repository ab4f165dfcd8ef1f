#!/usr/bin/env bash
# Builds the bench's peers, Ory Kratos and Ory Hydra, into the tools cache that scripts/tools.sh
# uses (outside the clone, so it survives fresh clones). Only the bench calls this: the peers are
# heavy (about 1.5 min of build each) and no test needs them.
# Prints the bin directory. Usage: scripts/peers.sh [kratos|hydra...]  (default: both)
#
# Both modules carry `replace` directives, so `go install module@version` refuses them: each is
# built from a writable copy of its module source, with its release's version stamped in.
set -euo pipefail
export PATH="/usr/local/go/bin:$PATH"
bin="${AUTH_SERVICE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/auth-service/bin}"
mkdir -p "$bin"
declare -A modules=(
  [kratos]=github.com/ory/kratos@v1.3.1
  [hydra]=github.com/ory/hydra/v2@v2.3.0
)
# Hydra's module replaces its own API client by a directory that its module zip leaves out; the
# published client of the same API generation stands in for it.
hydra_client=github.com/ory/hydra-client-go/v2@v2.2.1
peers=("$@")
[ ${#peers[@]} -gt 0 ] || peers=(kratos hydra)
if ! command -v go >/dev/null; then
  echo "scripts/peers.sh: Go is not installed (looked in PATH and /usr/local/go/bin); the bench's peers need it" >&2
  exit 1
fi

build() {
  local tool=$1 module=${2%@*} version=${2#*@} json src tmp
  if ! json=$(go mod download -json "$module@$version"); then
    echo "scripts/peers.sh: could not download $module@$version: $(sed -n 's/^\t"Error": "\(.*\)"$/\1/p' <<<"$json")" >&2
    return 1
  fi
  src=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$json")
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  cp -r "$src/." "$tmp" && chmod -R u+w "$tmp"
  (
    cd "$tmp"
    if [ "$tool" = hydra ]; then
      go mod edit -dropreplace "${hydra_client%@*}"
      go get "$hydra_client"
    fi
    go build -tags sqlite -ldflags "-X $module/driver/config.Version=$version" -o "$bin/$tool.part" .
  ) >&2
  mv "$bin/$tool.part" "$bin/$tool"
}

# One build at a time: a second bench started meanwhile waits for the first one's binaries.
exec 9>"$bin/.peers.lock"
flock 9
for tool in "${peers[@]}"; do
  module="${modules[$tool]:?unknown peer $tool (known: ${!modules[*]})}"
  stamp="$bin/.$tool.version"
  want="$module -tags sqlite"
  [ "$tool" = hydra ] && want="$want $hydra_client"
  if [ -x "$bin/$tool" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then continue; fi
  echo "building $module (a minute or two)" >&2
  build "$tool" "${modules[$tool]}"
  echo "$want" > "$stamp"
done
echo "$bin"
