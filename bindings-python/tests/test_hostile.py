"""The package against servers that misbehave on purpose, and callers that give up."""

import asyncio
import http.server
import json
import sys
import threading
import time
import _thread

import pytest

from unpod_calllogs import AsyncClient, CallLogsError, Client, InternalServerError, ServerContractError
from unpod_calllogs.testing import ReferenceServer

SECRET = "s3cret-token-that-must-never-show"


class Hostile:
    """An HTTP server on 127.0.0.1 that answers every GET with `answer(handler)`."""

    def __init__(self, answer):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status, headers, body = answer(self)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # A client that gave up (a timeout, a cancellation) closes the socket mid-answer.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()


def test_cancelling_a_task_stops_the_request_and_its_retries():
    async def main(slow):
        client = AsyncClient(slow.token, slow.org_handle, slow.url, max_retries=4)
        task = asyncio.create_task(client.call_logs.list())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        walk = client.call_logs.iter(page_size=2)
        task = asyncio.create_task(walk.__anext__())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(1.5)

    with ReferenceServer(records=20, latency=0.4, script=[503, 503, 503, 503]) as slow:
        asyncio.run(main(slow))
        assert slow.requests == 2, "one request each, no retry after the cancellation"


def test_ctrl_c_and_break_send_nothing_more():
    with ReferenceServer(records=100, latency=0.3, script=[503, 503, 503]) as slow:
        client = Client(slow.token, slow.org_handle, slow.url, max_retries=3)
        threading.Timer(0.1, _thread.interrupt_main).start()
        with pytest.raises(KeyboardInterrupt):
            client.call_logs.list()
        time.sleep(1.2)
        assert slow.requests == 1, "no retry after Ctrl-C"
    with ReferenceServer(records=100, latency=0.2) as slow:
        client = Client(slow.token, slow.org_handle, slow.url)
        for prefetch in (1, 4):
            before = slow.requests
            for _ in client.call_logs.iter(page_size=10, prefetch=prefetch):
                break
            # The pages of the window may already be on their way at the break; let them land,
            # then nothing more may follow.
            time.sleep(0.15)
            sent = slow.requests - before
            time.sleep(0.6)
            assert slow.requests - before == sent <= 1 + prefetch, "the window is dropped, nothing follows"
        assert slow.peak_concurrency <= 5


def test_a_token_the_server_echoes_never_reaches_an_exception(caplog):
    def echo(handler):
        body = json.dumps({"status_code": 500, "message": f"bad {handler.headers['Authorization']}", "token": SECRET})
        return 500, {"Content-Type": "application/json", "X-Request-Id": f"req-{SECRET}"}, body.encode()

    with Hostile(echo) as server:
        client = Client(SECRET, "acme", server.url, max_retries=1)
        with caplog.at_level("WARNING", logger="unpod_calllogs"):
            with pytest.raises(InternalServerError) as raised:
                client.call_logs.list()
        error = raised.value
        shown = " ".join([str(error), repr(error), error.body, error.request_id or "", caplog.text])
        assert SECRET not in shown
        assert error.request_id == "req-***" and str(error) == "HTTP 500: bad Token *** (request id req-***)"
        assert "retry 1 of 1" in caplog.text


def test_a_record_echoing_the_token_is_scrubbed():
    def record(_):
        data = [{"call_type": SECRET, "call_status": "missed", "creation_time": "2026-02-07T05:57:00Z",
                 "start_time": None, "end_time": None, "call_duration": 0, "end_reason": "x"}]
        return 200, {}, json.dumps({"count": 1, "status_code": 200, "message": "ok", "data": data}).encode()

    with Hostile(record) as server:
        with pytest.raises(ServerContractError) as raised:
            Client(SECRET, "acme", server.url).call_logs.list(call_type="inbound")
        assert raised.value.record["call_type"] == "***"
        assert SECRET not in str(raised.value)


def test_pages_that_never_end_raise_instead_of_looping():
    def same_page(_):
        data = [{"call_type": "inbound", "call_status": "missed", "creation_time": f"2026-02-07T05:{m:02d}:00Z",
                 "start_time": None, "end_time": None, "call_duration": 0, "end_reason": "x"} for m in range(20)][::-1]
        return 200, {}, json.dumps({"count": 150000000, "status_code": 200, "message": "ok", "data": data}).encode()

    with Hostile(same_page) as server:
        client = Client(SECRET, "acme", server.url)
        with pytest.raises(ServerContractError) as raised:
            client.call_logs.all(page_size=20, end_date="2030-01-01")
        assert raised.value.violation == "repeated_page"
        with pytest.raises(ServerContractError):
            list(client.call_logs.iter(page_size=20, end_date="2030-01-01"))


def test_a_base_url_with_credentials_is_refused_without_showing_them():
    with pytest.raises(CallLogsError) as raised:
        Client(SECRET, "acme", "http://alice:pw-1234@127.0.0.1:9/")
    assert "user name or password" in str(raised.value)
    assert "pw-1234" not in str(raised.value) and "alice" not in str(raised.value)


def test_the_library_is_silent_unless_logging_is_configured():
    script = """
import logging, sys
from unpod_calllogs import Client
from unpod_calllogs.testing import ReferenceServer
with ReferenceServer(records=20, script=[503]) as server:
    if sys.argv[1] == "configured":
        logging.basicConfig(level=logging.WARNING)
    client = Client(server.token, server.org_handle, server.url, verify_filters=False, max_retries=1)
    assert client.call_logs.list().count == 20
"""
    import subprocess
    import sys

    quiet = subprocess.run([sys.executable, "-c", script, "quiet"], capture_output=True, text=True, timeout=60)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    loud = subprocess.run([sys.executable, "-c", script, "configured"], capture_output=True, text=True, timeout=60)
    assert loud.returncode == 0
    assert "filter verification is off" in loud.stderr and "retry 1 of 1" in loud.stderr, loud.stderr


def test_enum_values_error_kinds_and_defaults_come_from_the_core():
    from unpod_calllogs import CallStatus, CallType, _native
    from unpod_calllogs._exceptions import BY_KIND, CallLogsError

    assert [t.value for t in CallType] == _native.CALL_TYPES
    assert [s.value for s in CallStatus] == _native.CALL_STATUSES
    assert sorted(BY_KIND) == sorted(_native.ERROR_KINDS)
    from unpod_calllogs import CallLogFilters

    assert ["page", "page_size", *CallLogFilters.__annotations__] == _native.PARAMETERS
    assert all(issubclass(cls, CallLogsError) for cls in BY_KIND.values())
    import inspect

    iter_defaults = inspect.signature(Client(SECRET, "acme", "http://127.0.0.1:9").call_logs.iter).parameters
    assert iter_defaults["page_size"].default == _native.DEFAULT_WALK_PAGE_SIZE == 100
    assert inspect.signature(Client).parameters["max_retries"].default == _native.DEFAULT_MAX_RETRIES
    assert all(hasattr(_native.CallLog, name) for name in _native.RECORD_FIELDS)
    assert _native.VIOLATION_KINDS == [
        "filter_not_applied", "page_mismatch", "repeated_page", "unbounded", "order", "repeated_record", "count_changed"
    ]
    import typing

    from unpod_calllogs._client import Dialect, EventName

    assert list(typing.get_args(Dialect)) == _native.DIALECTS
    assert list(typing.get_args(EventName)) == _native.EVENTS


@pytest.mark.parametrize(
    "options, named",
    [
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 1.5}, "max_retries"),
        ({"max_retries": 10**9}, "max_retries"),
        ({"max_retries": "2"}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"timeout": "5"}, "timeout"),
        ({"headers": ["a", "b"]}, "headers"),
        ({"headers": {"X-Bad": "a\nb"}}, "X-Bad"),
        ({"base_url": "unpod.dev"}, "give the scheme"),
    ],
)
def test_every_bad_configuration_is_a_config_error(options, named):
    from unpod_calllogs import ConfigError

    settings = {"token": SECRET, "org_handle": "acme", "base_url": "http://127.0.0.1:9", **options}
    with pytest.raises(ConfigError, match=named):
        Client(**settings)


def test_bad_walk_options_are_config_errors_before_any_request():
    from unpod_calllogs import ConfigError

    with ReferenceServer(records=20) as server:
        client = Client(server.token, server.org_handle, server.url)
        for call, named in [
            (lambda: list(client.call_logs.iter(limit=-1)), "limit"),
            (lambda: client.call_logs.all(concurrency=-2), "concurrency"),
            (lambda: client.call_logs.all(concurrency=0.5), "concurrency"),
            (lambda: client.call_logs.all(concurrency="4"), "concurrency"),
            (lambda: client.call_logs.list(extra_query=["a"]), "extra_query"),
        ]:
            with pytest.raises(ConfigError, match=named):
                call()
        assert server.requests == 0
