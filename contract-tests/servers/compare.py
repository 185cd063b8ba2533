"""Ours and Schemathesis' against the same list servers and faults (servers.py): for each, which
checks of `calllogs-contract run --openapi` fail, and which failures Schemathesis reports
(`schemathesis run --checks all`), both from the same document. A fault counts as found when the
run fails in a way it does not on the stock server.

    .venv/bin/python contract-tests/servers/compare.py [--max-examples N] [--server NAME]

prints a Markdown table (the README's) and the totals; `--server json-server` only that one. Needs the CLI (CALLLOGS_CONTRACT, default
target/debug/calllogs-contract), schemathesis in the same Python, and the servers' packages.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from servers import SERVERS, Server, outcomes, reference_records, run_openapi, running


def schemathesis(server: Server, url: str, examples: int, report: Path) -> tuple[set[str], float]:
    headers = [h for name, h in zip(server.headers[::2], server.headers[1::2]) if name == "--header"]
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", str(server.document), "--url", url,
         "--checks", "all", "--max-examples", str(examples), "--seed", "42",
         *[arg for h in headers for arg in ("-H", h)],
         "--report", "json", "--report-json-path", str(report)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    failures = json.loads(report.read_text())["failures"]
    return {f"{f['code']} {f['title']}" for f in failures}, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=50, help="Schemathesis' examples per operation")
    parser.add_argument("--server", action="append", help="only the servers whose name starts with this (repeatable)")
    args = parser.parse_args()
    servers = [s for s in SERVERS if not args.server or any(s.name.startswith(p) for p in args.server)]
    records = reference_records()
    found = {"ours": 0, "schemathesis": 0}
    faults = 0
    print("| server | fault | `run --openapi` fails | found | Schemathesis reports | found |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        for server in servers:
            folder = Path(scratch) / server.name.split()[0]
            folder.mkdir()
            stored = server.store(records, folder)
            stock: tuple[set[str], set[str]] = (set(), set())
            for fault in [None, *server.faults]:
                with running(server, stored, fault) as url:
                    _, report, ours_s = run_openapi(server, url)
                    theirs, theirs_s = schemathesis(server, url, args.max_examples, folder / "st.json")
                ours = set(outcomes(report, "failed"))
                if fault is None:
                    stock = (ours, theirs)
                    mark_ours = mark_theirs = "(stock)"
                else:
                    faults += 1
                    new_ours, new_theirs = ours - stock[0], theirs - stock[1]
                    found["ours"] += bool(new_ours)
                    found["schemathesis"] += bool(new_theirs)
                    mark_ours, mark_theirs = ("yes" if new_ours else "no"), ("yes" if new_theirs else "no")
                print(
                    f"| {server.name} | {fault or 'none (stock)'} | {', '.join(sorted(ours)) or '-'} ({ours_s:.1f} s)"
                    f" | {mark_ours} | {'; '.join(sorted(theirs)) or '-'} ({theirs_s:.1f} s) | {mark_theirs} |"
                )
    print(f"\nfaults found: run --openapi {found['ours']} of {faults}, Schemathesis {found['schemathesis']} of {faults}")


if __name__ == "__main__":
    main()
