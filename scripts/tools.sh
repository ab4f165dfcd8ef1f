#!/usr/bin/env bash
# Installs the Go tools the tests and benchmarks use into a cache outside the clone
# (it survives fresh clones; the first FerretDB build takes minutes, later runs seconds), and
# NGINX (for the forward-auth tests) from the system's packages, linked into the same directory.
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
[ ${#tools[@]} -gt 0 ] || tools=(ferretdb grpcurl grpc-health-probe ghz nginx)

# Debian's nginx-light (bookworm; later releases have only nginx) has the auth_request module.
# Installed with apt-get as root (or through sudo without a password); anywhere else, say what to do.
install_nginx() {
  local nginx
  nginx=$(PATH="$PATH:/usr/sbin" command -v nginx || true)
  if [ -z "$nginx" ]; then
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo -n)
    if ! command -v apt-get >/dev/null || { [ ${#sudo[@]} -gt 0 ] && ! sudo -n true 2>/dev/null; }; then
      echo "scripts/tools.sh: NGINX is not installed and cannot be installed from here (needs apt-get as root or passwordless sudo); install nginx (with its auth_request module), e.g. apt-get install nginx-light" >&2
      exit 1
    fi
    echo "installing nginx-light with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends nginx-light >&2 ||
      "${sudo[@]}" apt-get install -y -qq --no-install-recommends nginx >&2 ||
      { echo "scripts/tools.sh: apt-get could not install nginx-light or nginx" >&2; exit 1; }
    nginx=$(PATH="$PATH:/usr/sbin" command -v nginx)
  fi
  if ! "$nginx" -V 2>&1 | grep -q -- --with-http_auth_request_module; then
    echo "scripts/tools.sh: $nginx has no auth_request module; install a build that has it (Debian: nginx-light or nginx)" >&2
    exit 1
  fi
  ln -sf "$nginx" "$bin/nginx"
}

needs_go=0
for tool in "${tools[@]}"; do [ "$tool" = nginx ] || needs_go=1; done
if [ "$needs_go" = 1 ] && ! command -v go >/dev/null; then
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
  if [ "$tool" = nginx ]; then install_nginx; continue; fi
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
