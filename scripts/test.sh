#!/usr/bin/env bash
# Every test of the project: Rust (unit, integration, doc) and the staleness of generated files.
# Installs what it needs by itself; run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "== generated schemas are current"
cargo run -q -p calllogs-contract -- schema --out schema --check

echo "== cargo test --workspace"
cargo test --workspace --all-targets
cargo test --workspace --doc
