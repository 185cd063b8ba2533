#!/usr/bin/env bash
# The main job: the contract suite against the embedded reference server, then the same records read
# back through the Rust client, the Python package and the Node package, and compared.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p calllogs-contract -p unpod-calllogs --bins --examples
bash scripts/python-env.sh >/dev/null
node_dir=$(mktemp -d)
bash scripts/node-env.sh 2>/dev/null >"$node_dir/tarballs"
mapfile -t tarballs <"$node_dir/tarballs"
(cd "$node_dir" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "${tarballs[@]}" >/dev/null)
cp bindings-node/examples/read_calls.js "$node_dir/"

echo "== calllogs-contract run (embedded reference server)"
./target/release/calllogs-contract run

log=$(mktemp)
./target/release/calllogs-contract serve --port 0 >"$log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$log" "$node_dir"' EXIT
for _ in $(seq 100); do grep -q '^serving' "$log" && break; sleep 0.1; done
url=$(sed -n 's/^serving the call-logs contract at //p' "$log")
[ -n "$url" ] || { echo "the reference server did not start" >&2; exit 1; }
export UNPOD_BASE_URL="$url" UNPOD_PLATFORM_TOKEN=test-token UNPOD_ORG_HANDLE=acme
echo "== the newest records through the Rust client"
./target/release/examples/read_calls 20 8 | tee "$log.rust"
echo "== the same records through Python"
.venv/bin/python bindings-python/examples/read_calls.py 20 8 | tee "$log.python"
echo "== the same records through Node"
node "$node_dir/read_calls.js" 20 8 | tee "$log.node"
diff "$log.rust" "$log.python" && diff "$log.rust" "$log.node" && echo "== Rust, Python and Node read the same records"
rm -f "$log.rust" "$log.python" "$log.node"
