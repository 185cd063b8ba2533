"""The interpreter exits cleanly after using the clients, whatever is still running at exit."""

import concurrent.futures
import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).with_name("exit_script.py")
RUNS = 300


def run(variant: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), variant], capture_output=True, text=True, timeout=60)


def unexpected_stderr(stderr: str) -> str:
    """What stderr holds beyond asyncio's own notes on tasks a never-closed loop left pending."""
    asyncio_notes = ("Task was destroyed but it is pending!", "task: <Task pending")
    return "\n".join(line for line in stderr.splitlines() if not line.startswith(asyncio_notes))


@pytest.mark.parametrize("variant", ["plain", "pending", "never-closed", "thread"])
def test_the_interpreter_exits_cleanly(variant):
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, [variant] * (RUNS // 4)))
    failed = [r for r in results if r.returncode != 0 or r.stdout != "ok\n" or unexpected_stderr(r.stderr)]
    assert not failed, f"{len(failed)} of {len(results)} runs: rc={failed[0].returncode} {failed[0].stderr[-2000:]}"
