#!/usr/bin/env bash
# Builds the artifacts this machine can build for x86_64 Linux into target/dist/ and checks each:
#   - the wheel, manylinux2014 (glibc 2.17) through zig, checked with auditwheel and twine, then
#     installed into a fresh virtualenv and used against a reference server;
#   - the sdist, checked with twine;
#   - the npm package of this platform, checked with npm publish --dry-run;
#   - the calllogs-contract CLI, stripped;
#   - the three crates packaged as cargo publish would (without the verifying build).
# Prints each artifact with its size. Portable builds for other targets (aarch64, musl, macOS,
# Windows) and per-platform npm packages are not made here yet.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=target/dist
rm -rf "$dist"
mkdir -p "$dist"

bash scripts/python-env.sh >/dev/null
.venv/bin/python -m pip install -q "ziglang<0.15" auditwheel twine
# maturin finds zig through `python -m ziglang` on the PATH.
PATH="$PWD/.venv/bin:$PATH" .venv/bin/maturin build --release --zig --compatibility manylinux2014 \
    -m bindings-python/Cargo.toml --out "$dist" >&2
PATH="$PWD/.venv/bin:$PATH" .venv/bin/maturin sdist -m bindings-python/Cargo.toml --out "$dist" >&2
wheel=$(ls "$dist"/unpod_calllogs-*manylinux_2_17_x86_64*.whl)
.venv/bin/auditwheel show "$wheel" | grep -q '"manylinux_2_17_x86_64"' || {
    echo "$wheel is not manylinux_2_17 (auditwheel show):" >&2
    .venv/bin/auditwheel show "$wheel" >&2
    exit 1
}
.venv/bin/twine check --strict "$dist"/unpod_calllogs-*
bash scripts/wheel-alone.sh "$wheel"

tgz=$(bash scripts/node-env.sh 2>/dev/null | tail -n 1)
cp "$tgz" "$dist/"
(cd bindings-node && npm publish --dry-run --loglevel=error >/dev/null 2>&1) || {
    echo "npm publish --dry-run failed" >&2
    exit 1
}

cargo build --release -p calllogs-contract >&2
cp target/release/calllogs-contract "$dist/calllogs-contract-x86_64-unknown-linux-gnu"
cargo publish --workspace --dry-run --no-verify --allow-dirty >&2 2>/dev/null || {
    cargo publish --workspace --dry-run --no-verify --allow-dirty >&2
    exit 1
}

echo "== target/dist"
ls -l "$dist" | awk 'NR > 1 { printf "%10d  %s\n", $5, $9 }'
