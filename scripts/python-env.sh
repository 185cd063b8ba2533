#!/usr/bin/env bash
# Creates .venv (if missing) with the build and test tools of the Python package, builds the wheel in
# release mode, as it is published for x86_64 Linux (manylinux2014: linked by zig against glibc
# 2.17), and installs it into .venv. Prints the wheel's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q "maturin>=1.9.4,<2" "pytest>=8" "mypy>=1.10" \
    "requests>=2.31" "httpx>=0.27" "orjson>=3.9" "pydantic>=2.6" \
    "pyright>=1.1.390" "pyarrow>=15" "pandas>=2.1" "polars>=1.0" "pandas-stubs" "pyarrow-stubs" "duckdb>=1.1" \
    "ziglang<0.15" "cargo-zigbuild>=0.20" "auditwheel>=6" "twine>=5"
rm -rf target/wheels
# maturin finds zig as `python -m ziglang`, with the .venv's python first on PATH.
PATH="$PWD/.venv/bin:$PATH" .venv/bin/maturin build --release --quiet --zig --compatibility manylinux2014 \
    -m bindings-python/Cargo.toml --out target/wheels >&2
wheel=$(ls target/wheels/unpod_calllogs-*.whl)
.venv/bin/python -m pip install -q --force-reinstall --no-deps "$wheel"
echo "$wheel"
