#!/usr/bin/env bash
# Installs the Node package's build tools (npm ci; SKIP_NPM_CI=1 when that is done already), builds
# the native addon of this machine (Linux) in release mode as it is published (linked by zig
# against glibc 2.17: the toolchain of scripts/glibc217.sh, shared with the wheel's build), checks
# that the generated files are current (native.d.ts, and the per-platform package folders under
# npm/ that `napi create-npm-dirs` makes from package.json), and packs the main package and this platform's
# package as they are published (scripts/npm-pack.js).
# Prints the two tarballs' paths, the main package's first.
set -euo pipefail
cd "$(dirname "$0")/../bindings-node"
[ "${SKIP_NPM_CI:-0}" = 1 ] || npm ci --no-audit --no-fund --loglevel=error >&2
snapshot() { cat native.d.ts npm/*/* 2>/dev/null | sha256sum; }
committed=$(snapshot)
[ -x ../.venv/bin/cargo-zigbuild ] || bash ../scripts/python-env.sh >/dev/null
# The wheel's toolchain and target folder (scripts/glibc217.sh), so that the dependency tree the
# wheel's build compiled is not compiled again.
(cd .. && source scripts/glibc217.sh && cd bindings-node &&
    npx napi build --platform --release --no-js --dts native.d.ts --target "$zig_target" >&2)
test -s native.d.ts || { echo "napi build wrote an empty native.d.ts" >&2; exit 1; }
npx napi create-npm-dirs >/dev/null
if [ "${CHECK_GENERATED:-0}" = 1 ] && [ "$committed" != "$(snapshot)" ]; then
    echo "bindings-node/native.d.ts or bindings-node/npm/ is stale: run scripts/node-env.sh and commit them" >&2
    exit 1
fi
addons=(unpod-calllogs.*.node)
[ "${#addons[@]}" = 1 ] || { echo "expected one addon in bindings-node/, found: ${addons[*]}" >&2; exit 1; }
rm -rf ../target/npm
node ../scripts/npm-pack.js ../target/npm "$PWD/${addons[0]}"
