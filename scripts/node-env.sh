#!/usr/bin/env bash
# Installs the Node package's build tools (npm ci), builds the native addon in release mode, checks that
# the generated native.d.ts is current, and packs the package. Prints the tarball's path last.
set -euo pipefail
cd "$(dirname "$0")/../bindings-node"
npm ci --no-audit --no-fund --loglevel=error >&2
committed=$(cat native.d.ts 2>/dev/null || true)
npx napi build --platform --release --js native.js --dts native.d.ts >&2
test -s native.d.ts || { echo "napi build wrote an empty native.d.ts" >&2; exit 1; }
if [ "${CHECK_GENERATED:-0}" = 1 ] && [ "$committed" != "$(cat native.d.ts)" ]; then
    echo "bindings-node/native.d.ts is stale: rebuild with scripts/node-env.sh and commit it" >&2
    exit 1
fi
mkdir -p ../target/npm
rm -f ../target/npm/unpod-calllogs-*.tgz
npm pack --pack-destination ../target/npm --loglevel=error >/dev/null
ls "$PWD"/../target/npm/unpod-calllogs-*.tgz
