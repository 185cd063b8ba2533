#!/usr/bin/env bash
# The main job: the contract suite against the embedded reference server, then the same records read
# back through the Rust client, the Python package and the Node package, and compared; then a sync
# of every record into the embedded default (a SQLite file), run twice, and queried.
#
# Builds for this machine only, with one build configuration (the fast-build profile of Cargo.toml:
# release without thin-local LTO, for a first run in minutes): one cargo build gives the CLI, the
# Rust example and the Node addon, and maturin builds the Python module in the same folder with the
# same features (bindings-unify/), so each crate is compiled once. Installs only what the job
# needs: maturin in .venv (the wheel goes there too) and nothing from npm but the packages it packs. The portable builds
# (glibc 2.17, by zig) are what the test command checks and scripts/dist.sh ships.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/steps.sh
work=$(mktemp -d)
server=
trap '[ -z "$server" ] || kill "$server" 2>/dev/null || true; steps_end; rm -rf "$work"' EXIT

python_env() {
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/python -m pip install -q -r scripts/python-build.txt
}
build() {
    cargo build --profile fast-build -p calllogs-contract -p calllogs-node -p unpod-calllogs --lib --bins --examples
}
python_package() {
    rm -rf target/wheels
    .venv/bin/maturin build --profile fast-build -m bindings-python/Cargo.toml --out target/wheels
    .venv/bin/python -m pip install -q --force-reinstall --no-deps target/wheels/unpod_calllogs-*.whl
}
node_package() {
    local platform library tarballs
    platform=$(node -p "require('./bindings-node/platform.js').platformKey()")
    library=target/fast-build/libcalllogs_node.so
    [ "$(uname)" != Darwin ] || library=target/fast-build/libcalllogs_node.dylib
    cp "$library" "$work/unpod-calllogs.$platform.node"
    mapfile -t tarballs < <(node scripts/npm-pack.js "$work/npm" "$work/unpod-calllogs.$platform.node")
    mkdir "$work/node"
    cp bindings-node/examples/read_calls.js "$work/node/"
    (cd "$work/node" && npm init -y && npm install --no-audit --no-fund --loglevel=error "${tarballs[@]}")
}
# read_with NAME COMMAND...: the newest 8 of 20 records, shown and kept in $work/NAME.
read_with() {
    local name=$1
    shift
    "$@" 20 8 | tee "$work/$name"
}

background python_env python_env
step "cargo build --profile fast-build: the CLI, the Rust example and the Node addon" build
joined "a virtualenv with maturin (.venv)" python_env
step "the Python package, built by maturin in the same target folder, installed into .venv" python_package
step "the Node package, packed and installed into a fresh folder" node_package

show "calllogs-contract run (embedded reference server)" ./target/fast-build/calllogs-contract run

./target/fast-build/calllogs-contract serve --port 0 >"$work/serve.log" &
server=$!
for _ in $(seq 100); do grep -q '^serving' "$work/serve.log" && break; sleep 0.1; done
url=$(sed -n 's/^serving the call-logs contract at //p' "$work/serve.log")
[ -n "$url" ] || { echo "the reference server did not start" >&2; exit 1; }
export UNPOD_BASE_URL="$url" UNPOD_PLATFORM_TOKEN=test-token UNPOD_ORG_HANDLE=acme
show "the newest records through the Rust client" read_with rust.txt ./target/fast-build/examples/read_calls
show "the same records through Python" read_with python.txt .venv/bin/python bindings-python/examples/read_calls.py
show "the same records through Node" read_with node.txt node "$work/node/read_calls.js"
diff "$work/rust.txt" "$work/python.txt"
diff "$work/rust.txt" "$work/node.txt"
echo "== Rust, Python and Node read the same records"

# sync_twice DB: a first sync of everything into DB, then an incremental one (nothing new).
sync_twice() {
    ./target/fast-build/unpod-calllogs sync "$1"
    ./target/fast-build/unpod-calllogs sync "$1"
}
show "unpod-calllogs sync into a SQLite file, twice" sync_twice "$work/calls.db"
show "the synced table, queried" .venv/bin/python bindings-python/examples/query_synced.py "$work/calls.db"
steps_total "the main job"
