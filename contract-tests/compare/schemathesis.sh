#!/usr/bin/env bash
# Runs Schemathesis with the emitted OpenAPI document against the reference server, faithful and in
# every fault mode, and prints a Markdown table: what a schema-driven tool finds, for comparison with
# `cargo test -p calllogs-contract --test power -- --nocapture`. Not part of CI.
#
#   bash contract-tests/compare/schemathesis.sh [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/../.."
examples=${1:-50}
venv=target/compare-venv
[ -x "$venv/bin/st" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q schemathesis; }
cargo build -q --release -p calllogs-contract
bin=./target/release/calllogs-contract

echo "Schemathesis $("$venv/bin/st" --version | awk '{print $3}'), --max-examples $examples, seed 42"
echo
echo "| server | found | Schemathesis checks that failed | test cases |"
echo "|---|---|---|---|"
baseline=
for fault in none $($bin serve --list-faults | awk '{print $1}'); do
    log=$(mktemp)
    if [ "$fault" = none ]; then args=(); else args=(--fault "$fault"); fi
    $bin serve --port 0 "${args[@]}" >"$log" &
    server=$!
    for _ in $(seq 100); do grep -q '^serving' "$log" && break; sleep 0.1; done
    url=$(sed -n 's/^serving the call-logs contract at //p' "$log")
    out=$(mktemp)
    set +e
    "$venv/bin/st" run schema/openapi.json --url "$url" \
        -H "Authorization: Token test-token" -H "Org-Handle: acme" \
        --checks all --max-examples "$examples" --seed 42 --no-color >"$out" 2>&1
    status=$?
    set -e
    kill $server 2>/dev/null || true
    wait $server 2>/dev/null || true
    failed=$(sed -n '/^Failures:/,/^$/p' "$out" | grep -F '❌' | sed 's/.*❌ //' | paste -sd';' - || true)
    cases=$(grep -oE '[0-9]+ generated' "$out" | head -1 || true)
    # A failure the faithful server also gets is a false positive, not a finding.
    if [ "$fault" = none ]; then baseline=$failed; found="false positives: $([ $status -eq 0 ] && echo no || echo yes)"
    else
        new=$(tr ';' '\n' <<<"$failed" | grep -vxF -f <(tr ';' '\n' <<<"$baseline") || true)
        if [ -n "$new" ]; then found=yes; else found=no; fi
    fi
    echo "| ${fault} | $found | ${failed:-} | ${cases%% generated} |"
    rm -f "$log" "$out"
done
