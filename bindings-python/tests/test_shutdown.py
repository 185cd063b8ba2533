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


@pytest.fixture(scope="module")
def outside_server():
    """A server in this process, so that it outlives the interpreter exits it is used in."""
    from unpod_calllogs.testing import ReferenceServer

    with ReferenceServer(records=60, seed=5) as server:
        yield server


def run_script(server, body: str) -> subprocess.CompletedProcess:
    env = {
        **__import__("os").environ,
        "CASE_URL": server.url,
        "CASE_TOKEN": server.token,
        "CASE_ORG": server.org_handle,
    }
    return subprocess.run([sys.executable, "-c", body], capture_output=True, text=True, timeout=60, env=env)


def test_a_client_in_an_atexit_handler_registered_before_the_import_works(outside_server):
    body = """
import atexit, os
URL, TOKEN, ORG = os.environ["CASE_URL"], os.environ["CASE_TOKEN"], os.environ["CASE_ORG"]
def late():
    from unpod_calllogs import Client
    print(len(used.call_logs.all(page_size=25)), len(Client(TOKEN, ORG, URL).call_logs.all()), flush=True)
atexit.register(late)  # runs after the module's own exit handler, which stopped its runtime
from unpod_calllogs import Client
used = Client(TOKEN, ORG, URL)
used.call_logs.all(page_size=25)
"""
    for _ in range(10):
        done = run_script(outside_server, body)
        assert (done.returncode, done.stdout, done.stderr) == (0, "60 60\n", "")


def test_daemon_threads_using_a_client_while_the_interpreter_exits(outside_server):
    body = """
import os, threading, time
from unpod_calllogs import Client
c = Client(os.environ["CASE_TOKEN"], os.environ["CASE_ORG"], os.environ["CASE_URL"])
def forever():
    while True:
        c.call_logs.all(page_size=10)
for _ in range(4):
    threading.Thread(target=forever, daemon=True).start()
time.sleep(0.05)
print("ok", flush=True)
"""
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: run_script(outside_server, body), range(80)))
    crashed = [r for r in results if r.returncode != 0 or r.stdout != "ok\n"]
    assert not crashed, f"{len(crashed)} of {len(results)}: rc={crashed[0].returncode} {crashed[0].stderr[-1500:]}"
