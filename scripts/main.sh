#!/usr/bin/env bash
# The main job: start the reference server and read call logs from it with the Rust client.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p calllogs-contract -p unpod-calllogs --bins --examples
log=$(mktemp)
./target/release/calllogs-contract serve --port 0 >"$log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q '^serving' "$log" && break; sleep 0.1; done
cat "$log"
url=$(sed -n 's/^serving the call-logs contract at //p' "$log")
[ -n "$url" ] || { echo "the reference server did not start" >&2; exit 1; }
UNPOD_BASE_URL="$url" UNPOD_PLATFORM_TOKEN=test-token UNPOD_ORG_HANDLE=acme \
    ./target/release/examples/read_calls 20 10
