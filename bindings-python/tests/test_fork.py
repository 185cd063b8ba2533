"""Clients in forked processes: os.fork, multiprocessing pools, gunicorn-style preload. Each case
runs in a fresh interpreter that forks; the server runs here, in pytest's process. Every wait is
bounded, so a regression fails instead of hanging the run."""

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no fork on Windows")

RECORDS = 120

PRELUDE = """
import asyncio, multiprocessing, os, sys, threading, time
from unpod_calllogs import AsyncClient, Client

URL, TOKEN, ORG = os.environ["CASE_URL"], os.environ["CASE_TOKEN"], os.environ["CASE_ORG"]
RECORDS = int(os.environ["CASE_RECORDS"])

def client():
    return Client(TOKEN, ORG, URL, timeout=10)

def count(c):
    records = c.call_logs.all(page_size=25)
    assert len(records) == RECORDS, len(records)
    return len(records)

def walk(c):
    assert sum(1 for _ in c.call_logs.iter(page_size=25, prefetch=4)) == RECORDS
    return RECORDS

def in_child(body, exit=os._exit):
    pid = os.fork()
    if pid == 0:
        signal_alarm = __import__("signal")
        signal_alarm.alarm(20)
        try:
            body()
            code = 0
        except BaseException as error:
            print("child failed:", repr(error), file=sys.stderr)
            code = 1
        exit(code)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0, os.waitstatus_to_exitcode(status)
            return
        time.sleep(0.01)
    os.kill(pid, 9)
    raise AssertionError("the child hung")
"""


def run(server, body, tmp_path, timeout=120):
    # A file, not `-c`: forkserver workers import the main module by its path.
    script = tmp_path / "case.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    env = dict(os.environ, CASE_URL=server.url, CASE_TOKEN=server.token, CASE_ORG=server.org_handle)
    env["CASE_RECORDS"] = str(RECORDS)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def fork_server():
    from unpod_calllogs.testing import ReferenceServer

    with ReferenceServer(records=RECORDS, seed=3) as server:
        yield server


def test_a_client_used_in_the_parent_works_in_the_child_and_the_parent_goes_on(fork_server, tmp_path):
    run(
        fork_server,
        """
        parent, other = client(), client()
        count(parent)
        in_child(lambda: (count(parent), walk(parent), count(other), count(client())))
        count(parent); walk(parent); count(other)
        in_child(lambda: count(client()), exit=sys.exit)
        count(parent); count(client())
        """,
        tmp_path,
    )


def test_a_client_made_but_never_used_in_the_parent_works_in_the_child(fork_server, tmp_path):
    run(
        fork_server,
        """
        unused = client()
        in_child(lambda: count(unused))
        count(unused)
        """,
        tmp_path,
    )


def test_a_walk_reading_ahead_at_the_fork_goes_on_in_both(fork_server, tmp_path):
    run(
        fork_server,
        """
        c = client()
        pages = c.call_logs.iter(page_size=10, prefetch=4)
        first = [next(pages) for _ in range(15)]
        def rest():
            assert len(first) + sum(1 for _ in pages) == RECORDS
        in_child(rest)
        rest()
        """,
        tmp_path,
    )


def test_multiprocessing_fork_and_forkserver_pools(fork_server, tmp_path):
    out = run(
        fork_server,
        """
        PRELOADED = client()      # gunicorn --preload: made at import, used in every worker
        count(PRELOADED)

        def own(_):
            return count(client())

        def preloaded(_):
            return count(PRELOADED)

        if __name__ == "__main__":
            for method in ("fork", "forkserver"):
                with multiprocessing.get_context(method).Pool(2) as pool:
                    assert pool.map_async(own, range(4)).get(timeout=30) == [RECORDS] * 4
                    if method == "fork":
                        assert pool.map_async(preloaded, range(4)).get(timeout=30) == [RECORDS] * 4
            count(PRELOADED)
            print("pools ok")
        """,
        tmp_path,
    )
    assert "pools ok" in out


def test_a_child_forked_while_another_thread_waits_on_a_request_exits_at_once(fork_server, tmp_path):
    run(
        fork_server,
        """
        from unpod_calllogs.testing import ReferenceServer
        slow = ReferenceServer(records=5, latency=3.0)
        waiting = threading.Thread(target=lambda: Client(slow.token, slow.org_handle, slow.url).call_logs.list())
        waiting.start()
        time.sleep(0.3)  # the thread is in its request
        started = time.monotonic()
        in_child(lambda: count(client()), exit=sys.exit)
        took = time.monotonic() - started
        assert took < 1.5, f"the child's exit waited for a thread it does not have: {took:.2f} s"
        waiting.join(30)
        slow.stop()
        """,
        tmp_path,
    )


def test_an_async_client_after_fork_in_a_new_event_loop(fork_server, tmp_path):
    run(
        fork_server,
        """
        async def read(c):
            n = 0
            async for _ in c.call_logs.iter(page_size=25):
                n += 1
            assert n == RECORDS and len(await c.call_logs.all()) == RECORDS

        shared = AsyncClient(TOKEN, ORG, URL)
        asyncio.run(read(shared))
        in_child(lambda: (asyncio.run(read(shared)), asyncio.run(read(AsyncClient(TOKEN, ORG, URL)))))
        asyncio.run(read(shared))
        """,
        tmp_path,
    )


def test_children_and_parents_exit_cleanly_again_and_again(fork_server, tmp_path):
    run(
        fork_server,
        """
        c = client()
        count(c)
        for i in range(25):
            in_child(lambda: count(c), exit=sys.exit if i % 2 else os._exit)
        count(c)
        """,
        tmp_path,
        timeout=240,
    )


def test_one_client_shared_by_32_threads(fork_server, tmp_path):
    run(
        fork_server,
        """
        c = client()
        results, errors = [], []
        def work():
            try:
                results.append(count(c))
            except BaseException as error:
                errors.append(error)
        threads = [threading.Thread(target=work) for _ in range(32)]
        for t in threads: t.start()
        for t in threads: t.join(60)
        assert not errors and results == [RECORDS] * 32, (errors, len(results))
        """,
        tmp_path,
    )


def test_an_async_call_in_flight_at_the_fork_is_a_typed_error_in_the_child(fork_server, tmp_path):
    # Forked from inside the running loop: the child goes on running a copy of it. (Its copy shares
    # the parent's epoll and wake-up pipe, so neither side may count on being woken by the other's
    # thread-safe callbacks: both keep their loops turning with a heartbeat.)
    run(
        fork_server,
        """
        import signal
        from unpod_calllogs import APIConnectionError
        from unpod_calllogs.testing import ReferenceServer
        slow = ReferenceServer(records=5, latency=2.0)

        async def heartbeat():
            while True:
                await asyncio.sleep(0.02)

        async def main():
            beat = asyncio.ensure_future(heartbeat())
            c = AsyncClient(slow.token, slow.org_handle, slow.url)
            pending = asyncio.ensure_future(c.call_logs.all())
            await asyncio.sleep(0.3)  # the request is on its way
            pid = os.fork()
            if pid == 0:
                started = time.monotonic()
                signal.alarm(10)
                try:
                    await pending
                    code = 2
                except APIConnectionError as error:
                    code = 0 if "forked" in str(error) and time.monotonic() - started < 1 else 3
                except BaseException as error:
                    print("child:", repr(error), file=sys.stderr)
                    code = 4
                os._exit(code)
            # The parent's own call finishes as if nothing happened.
            assert len(await asyncio.wait_for(pending, 15)) == 5
            deadline = time.monotonic() + 15
            while not (done := os.waitpid(pid, os.WNOHANG))[0]:
                assert time.monotonic() < deadline, "the child hung"
                await asyncio.sleep(0.02)
            assert os.waitstatus_to_exitcode(done[1]) == 0, os.waitstatus_to_exitcode(done[1])
            beat.cancel()

        asyncio.run(main())
        slow.stop()
        """,
        tmp_path,
        timeout=60,
    )
