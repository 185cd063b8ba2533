#!/usr/bin/env bash
# Creates .venv (if missing) with the build and test tools of the Python package, builds the wheel in
# release mode, as it is published for x86_64 Linux (manylinux2014: linked by zig against glibc
# 2.17, with the toolchain of scripts/glibc217.sh that the Node addon's build shares), and installs
# it into .venv. Prints the wheel's path on its last line.
# The tools are listed in scripts/python-test.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -r scripts/python-test.txt
rm -rf target/wheels
source scripts/glibc217.sh
# maturin's own check of the symbols the library uses holds it to manylinux2014.
.venv/bin/maturin build --release --quiet --target "$zig_target" --compatibility manylinux2014 \
    -m bindings-python/Cargo.toml --out target/wheels >&2
wheel=$(ls target/wheels/unpod_calllogs-*.whl)
.venv/bin/python -m pip install -q --force-reinstall --no-deps "$wheel"
echo "$wheel"
