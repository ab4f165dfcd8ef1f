#!/usr/bin/env bash
# Proves the Dockerfile's recipe without a Docker engine: scripts/dockerfile-run.mjs performs its steps
# (both stages, in clean temporary directories, COPY honouring .dockerignore, RUN in order) on the image's
# Node.js (the version tools/node pins, fetched by scripts/tools.sh: whichever Node.js runs this script,
# the image is built and run on the image's), then this script starts the resulting image's CMD the way a
# container would: as the image's USER, in its WORKDIR, with only the image's ENV plus what production
# requires (MONGODB_URI to a FerretDB started here, RESET_WEBHOOK_URL/SECRET). It waits for
# grpc.health.v1 SERVING (grpc-health-probe), makes real calls (grpcurl list through reflection,
# CreateUser and Login, HTTP /healthz, /readyz and /metrics, whose nodejs_version_info must name the
# image's Node.js), runs the LoopBack importer (dist/cli.js), sends SIGTERM and expects exit code 0.
#
# Usage: scripts/image-smoke.sh     (IMAGE_SMOKE_KEEP=1 keeps the temporary directory for a look)
# With MONGODB_URI set, that database is used instead of a FerretDB started here.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/auth-image-smoke.XXXXXX")"
chmod 755 "$work" # the image's user (not root) must reach the image root inside it
pids=()

say() { echo "image-smoke: $*" >&2; }
cleanup() {
  local pid
  for pid in "${pids[@]}"; do { kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true; done
  if [ -n "${IMAGE_SMOKE_KEEP:-}" ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
die() {
  say "FAILED: $*"
  if [ -f "$work/app.log" ]; then say "service output (last 40 lines):"; tail -n 40 "$work/app.log" >&2; fi
  exit 1
}
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_tcp() { # port seconds
  local deadline=$((SECONDS + $2))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

bin="$(bash "$repo/scripts/tools.sh" grpc-health-probe grpcurl $([ -n "${MONGODB_URI:-}" ] || echo ferretdb))"
image_node="$(bash "$repo/scripts/tools.sh" node)/node"

# ---- build: both stages of the Dockerfile --------------------------------------------------------------
say "building the image's stages in $work/image"
node "$repo/scripts/dockerfile-run.mjs" --context "$repo" --out "$work/image" --node "$image_node" > "$work/image.json" ||
  die "the Dockerfile's steps failed"
field() { node -e 'const i=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const v=process.argv[2].split(".").reduce((o,k)=>o[k],i);console.log(typeof v==="string"?v:JSON.stringify(v))' "$work/image.json" "$1"; }
root="$(field root)"
workdir="$(field workdir)"
user="$(field user)"
app="$root$workdir"
say "image: Node.js $(field node), root $root, WORKDIR $workdir, USER $user, EXPOSE $(field expose), CMD $(field cmd)"

# ---- what the runtime image must and must not hold -----------------------------------------------------
[ "$(field env.NODE_ENV)" = production ] || die "the image does not set NODE_ENV=production"
[ "$user" != root ] && [ "${user%%:*}" != 0 ] || die "the image runs as root"
for port in 50051 3000; do node -e 'process.exit(JSON.parse(process.argv[1]).includes(process.argv[2])?0:1)' "$(field expose)" "$port" || die "port $port is not EXPOSEd"; done
[ "$(field cmd)" = '["node","--max-semi-space-size=16","dist/main.js"]' ] || die "CMD is not [\"node\", \"--max-semi-space-size=16\", \"dist/main.js\"] (exec form, node as PID 1)"
for path in dist/main.js dist/cli.js dist/transport/grpc/server.js dist/descriptors.binpb node_modules/@grpc/grpc-js node_modules/bcrypt node_modules/mongodb node_modules/openid-client node_modules/jose node_modules/cookie; do
  [ -e "$app/$path" ] || die "the runtime image lacks $path"
done
for path in src test proto node_modules/typescript node_modules/@bufbuild/buf node_modules/ts-proto node_modules/tsx node_modules/eslint node_modules/oidc-provider .git; do
  [ ! -e "$app/$path" ] || die "the runtime image holds $path (build-only or not meant to ship)"
done
say "runtime stage holds dist/ and production dependencies only ($(du -sh "$app/node_modules" | cut -f1) node_modules)"

# ---- a database --------------------------------------------------------------------------------------
if [ -n "${MONGODB_URI:-}" ]; then
  mongodb_uri="$MONGODB_URI"
else
  mport="$(free_port)"
  mkdir -p "$work/ferretdb"
  "$bin/ferretdb" --handler=sqlite --sqlite-url="file:$work/ferretdb/" --listen-addr="127.0.0.1:$mport" \
    --state-dir=- --telemetry=disable --debug-addr=- > "$work/ferretdb.log" 2>&1 &
  pids+=($!)
  wait_tcp "$mport" 30 || { tail -n 20 "$work/ferretdb.log" >&2; die "FerretDB did not start"; }
  mongodb_uri="mongodb://127.0.0.1:$mport/"
fi

# ---- run the image -------------------------------------------------------------------------------------
gport="$(free_port)"
hport="$(free_port)"
container_env=(PATH="$(field env.PATH)" HOME=/nonexistent)
while IFS= read -r pair; do container_env+=("$pair"); done < <(node -e 'for (const [k, v] of Object.entries(JSON.parse(process.argv[1]))) if (k !== "PATH") console.log(`${k}=${v}`)' "$(field env)")
# What an operator passes with `docker run -e` (see deploy/k8s for the same on Kubernetes).
container_env+=(
  HOST=127.0.0.1 GRPC_PORT="$gport" HTTP_PORT="$hport"
  MONGODB_URI="$mongodb_uri" MONGODB_DB=auth_image_smoke
  RESET_WEBHOOK_URL="http://127.0.0.1:9/password-reset" RESET_WEBHOOK_SECRET=image-smoke-secret
  SHUTDOWN_GRACE_MS=5000 TMPDIR=/tmp
)
uid="${user%%:*}"
gid="${user#*:}"
[ "$gid" != "$user" ] || gid="$uid"
mapfile -t cmd < <(node -e 'for (const w of JSON.parse(process.argv[1])) console.log(w)' "$(field cmd)")
say "starting ${cmd[*]} as uid $uid gid $gid in $app (NODE_ENV=$(field env.NODE_ENV))"
# exec all the way down: the PID recorded is node's own, as node is PID 1 in the container.
(cd "$app" && exec env -i "${container_env[@]}" setpriv --reuid="$uid" --regid="$gid" --clear-groups "${cmd[@]}") \
  > "$work/app.log" 2>&1 &
app_pid=$!
pids+=("$app_pid")

addr="127.0.0.1:$gport"
deadline=$((SECONDS + 60))
until health="$("$bin/grpc-health-probe" -addr="$addr" -connect-timeout=1s -rpc-timeout=1s 2>&1)"; do
  kill -0 "$app_pid" 2>/dev/null || die "the service exited before becoming healthy"
  [ $SECONDS -lt $deadline ] || die "no SERVING within 60 s: $health"
  sleep 0.5
done
[[ "$health" == *SERVING* ]] || die "unexpected health answer: $health"
say "grpc-health-probe: $health"

# Real calls through reflection (dist/descriptors.binpb must be in the image); CreateUser/Login need
# bcrypt's native addon and the MongoDB driver from the production install.
"$bin/grpcurl" -plaintext "$addr" list > "$work/list.txt" || die "grpcurl list failed"
grep -qx 'auth.v1.AuthService' "$work/list.txt" || die "reflection does not list auth.v1.AuthService: $(cat "$work/list.txt")"
grpcurl=("$bin/grpcurl" -plaintext)
"${grpcurl[@]}" -d '{"email":"smoke@example.com","password":"image-smoke-password"}' "$addr" auth.v1.AuthService/CreateUser \
  > "$work/create.json" || die "CreateUser failed: $(cat "$work/create.json")"
"${grpcurl[@]}" -d '{"email":"smoke@example.com","password":"image-smoke-password"}' "$addr" auth.v1.AuthService/Login \
  > "$work/login.json" || die "Login failed"
node -e 'const a=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.exit(/^[0-9A-Za-z]{64}$/.test(a.accessToken?.id)?0:1)' "$work/login.json" ||
  die "Login answered without a 64-character token"
for path in healthz readyz metrics; do
  status="$(node -e 'fetch(process.argv[1]).then(async r=>{require("fs").writeFileSync(process.argv[2],await r.text());console.log(r.status)},e=>console.log(String(e)))' \
    "http://127.0.0.1:$hport/$path" "$work/$path.txt")"
  [ "$status" = 200 ] || die "GET /$path answered $status"
done
served_by="$(sed -n 's/^nodejs_version_info{version="\([^"]*\)".*/\1/p' "$work/metrics.txt")"
[ "$served_by" = "v$(field node)" ] || die "the service runs on Node.js '$served_by' (/metrics nodejs_version_info), not the image's $(field node)"
say "CreateUser, Login, /healthz, /readyz and /metrics answered; the service runs on Node.js $served_by"

# The LoopBack importer runs in the image with the service's own environment (an empty LoopBack
# database here: test/e2e/loopback-import.test.ts moves real LoopBack data).
(cd "$app" && exec env -i "${container_env[@]}" setpriv --reuid="$uid" --regid="$gid" --clear-groups \
  node dist/cli.js import-loopback --from "$mongodb_uri" --db auth_image_smoke_loopback) > "$work/import.txt" 2>&1 ||
  die "node dist/cli.js import-loopback failed: $(cat "$work/import.txt")"
grep -q '^users      0 imported, 0 already here$' "$work/import.txt" || die "unexpected import summary: $(cat "$work/import.txt")"
say "node dist/cli.js import-loopback ran"

# ---- SIGTERM, as Kubernetes stops a pod ------------------------------------------------------------------
kill -TERM "$app_pid"
deadline=$((SECONDS + 30))
while kill -0 "$app_pid" 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || die "still running 30 s after SIGTERM"
  sleep 0.2
done
code=0
wait "$app_pid" || code=$?
[ "$code" = 0 ] || die "exit code $code after SIGTERM (expected 0)"
say "PASS: the image built on Node.js $(field node), served as uid $uid with NODE_ENV=production, and exited 0 on SIGTERM"
