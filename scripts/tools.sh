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
  [kubeconform]=github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0
)
tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(ferretdb grpcurl grpc-health-probe ghz kubeconform)
if ! command -v go >/dev/null; then
  echo "scripts/tools.sh: Go is not installed (looked in PATH and /usr/local/go/bin); install Go or set MONGODB_URI" >&2
  exit 1
fi
for tool in "${tools[@]}"; do
  module="${modules[$tool]:?unknown tool $tool}"
  stamp="$bin/.$tool.version"
  if [ -x "$bin/$tool" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$module" ]; then continue; fi
  echo "installing $module" >&2
  GOBIN="$bin" go install "$module" >&2
  echo "$module" > "$stamp"
done
echo "$bin"
