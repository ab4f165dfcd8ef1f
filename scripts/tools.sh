#!/usr/bin/env bash
# Installs the Go tools the tests and benchmarks use into a cache outside the clone
# (it survives fresh clones; the first FerretDB build takes minutes, later runs seconds).
# Prints the bin directory. Usage: scripts/tools.sh [tool...]  (default: all)
set -euo pipefail
export PATH="/usr/local/go/bin:$PATH"
bin="${AUTH_SERVICE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/auth-service/bin}"
mkdir -p "$bin"
declare -A modules=(
  [ferretdb]=github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2
  [grpcurl]=github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4
  [grpc-health-probe]=github.com/grpc-ecosystem/grpc-health-probe@v0.4.62
  [ghz]=github.com/bojand/ghz/cmd/ghz@v0.93.0
)
tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(ferretdb grpcurl grpc-health-probe ghz)
if ! command -v go >/dev/null; then
  echo "scripts/tools.sh: Go is not installed (looked in PATH and /usr/local/go/bin); install Go or set MONGODB_URI" >&2
  exit 1
fi
# `go install` of FerretDB builds a binary that panics at start: its version is read from an
# embedded build/version/version.txt that the module proxy's copy leaves empty. So it is built
# from a copy of the module source with that file written.
build_ferretdb() {
  local version=${1#*@} src tmp
  src=$(go mod download -json "github.com/FerretDB/FerretDB@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { echo "scripts/tools.sh: could not download FerretDB $version" >&2; exit 1; }
  tmp=$(mktemp -d)
  cp -r "$src/." "$tmp" && chmod -R u+w "$tmp"
  echo "$version" > "$tmp/build/version/version.txt"
  (cd "$tmp" && go build -buildvcs=false -o "$bin/ferretdb" ./cmd/ferretdb) >&2
  rm -rf "$tmp"
}
for tool in "${tools[@]}"; do
  module="${modules[$tool]:?unknown tool $tool}"
  stamp="$bin/.$tool.version"
  want="$module"
  [ "$tool" = ferretdb ] && want="$module+version.txt"
  if [ -x "$bin/$tool" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then continue; fi
  echo "installing $module" >&2
  if [ "$tool" = ferretdb ]; then build_ferretdb "$module"; else GOBIN="$bin" go install "$module" >&2; fi
  echo "$want" > "$stamp"
done
echo "$bin"
