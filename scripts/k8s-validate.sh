#!/usr/bin/env bash
# Validates Kubernetes manifests offline (tools/k8s-validate: client-go's compiled-in structural
# schema of the built-in kinds; strict about undeclared fields, value types and duplicate keys).
# Builds the tool on first use into the same cache as scripts/tools.sh, keyed by its sources.
# Usage: scripts/k8s-validate.sh [-json] [-skip-kind K1,K2] FILE...
set -euo pipefail
export PATH="/usr/local/go/bin:$PATH"
src="$(cd "$(dirname "$0")/../tools/k8s-validate" && pwd)"
bin="${AUTH_SERVICE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/auth-service/bin}"
mkdir -p "$bin"
stamp="$(cat "$src"/go.mod "$src"/go.sum "$src"/*.go | sha256sum | cut -c1-16)"
if [ ! -x "$bin/k8s-validate" ] || [ "$(cat "$bin/.k8s-validate.version" 2>/dev/null)" != "$stamp" ]; then
  if ! command -v go >/dev/null; then
    echo "scripts/k8s-validate.sh: Go is not installed (looked in PATH and /usr/local/go/bin)" >&2
    exit 1
  fi
  echo "building tools/k8s-validate" >&2
  (cd "$src" && go build -o "$bin/k8s-validate" .) >&2
  echo "$stamp" > "$bin/.k8s-validate.version"
fi
exec "$bin/k8s-validate" "$@"
