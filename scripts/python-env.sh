#!/usr/bin/env bash
# Creates .venv (if missing) with the build and test tools of the Python package, builds the wheel in
# release mode and installs it into .venv. Prints the wheel's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q "maturin>=1.9.4,<2" "pytest>=8" "mypy>=1.10" \
    "requests>=2.31" "httpx>=0.27" "orjson>=3.9" "pydantic>=2.6" \
    "pyright>=1.1.390" "pyarrow>=15" "pandas>=2.1" "polars>=1.0" "pandas-stubs" "pyarrow-stubs" "duckdb>=1.1"
rm -rf target/wheels
.venv/bin/maturin build --release --quiet -m bindings-python/Cargo.toml --out target/wheels >&2
wheel=$(ls target/wheels/unpod_calllogs-*.whl)
.venv/bin/python -m pip install -q --force-reinstall --no-deps "$wheel"
echo "$wheel"
