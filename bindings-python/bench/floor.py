"""The transport floor (core/examples/transport_floor): a Rust loop on the client's own HTTP stack
that fetches the pages a walk would and drops their bodies, in a process of its own. What no client
can go below: every table shows each path's time as a multiple of it."""

from __future__ import annotations

import os
import pathlib
import statistics
import subprocess
from typing import Optional

ROOT = pathlib.Path(__file__).resolve().parents[2]


def program(path: Optional[str]) -> str:
    """The floor's binary: `path`, or else built now, optimised, from this checkout."""
    if path:
        return path
    build = ["cargo", "build", "--release", "-q", "-p", "unpod-calllogs", "--example", "transport_floor"]
    subprocess.run(build, cwd=ROOT, check=True)
    return str(ROOT / "target" / "release" / "examples" / "transport_floor")


def median_seconds(
    binary: str,
    url: str,
    token: str,
    org_handle: str,
    page_size: int,
    rounds: int,
    expected: int,
    in_flight: int = 1,
) -> float:
    """The median over `rounds` of the floor's walk of the server at `url` (each round timed inside
    the floor's process, its start-up left out)."""
    done = subprocess.run(
        [binary, f"{url}/api/v2/platform/call-logs/", str(page_size), str(rounds), str(in_flight)],
        env={**os.environ, "UNPOD_TOKEN": token, "UNPOD_ORG_HANDLE": org_handle},
        capture_output=True,
        text=True,
        check=True,
    )
    times = []
    for line in done.stdout.splitlines():
        count, seconds = line.split()
        assert int(count) == expected, (count, expected)
        times.append(float(seconds))
    assert len(times) == rounds, done.stdout
    return statistics.median(times)
