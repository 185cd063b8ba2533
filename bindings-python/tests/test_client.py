import datetime
import json
import logging
import pathlib
import threading
import time
import _thread

import pytest

import unpod_calllogs
from unpod_calllogs import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CallLog,
    CallLogPage,
    CallLogsError,
    CallStatus,
    CallType,
    Client,
    ConfigError,
    DecodeError,
    InternalServerError,
    InvalidQueryError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerContractError,
)
from unpod_calllogs.testing import ReferenceServer

UTC = datetime.timezone.utc


def test_the_package_is_the_installed_wheel():
    assert "site-packages" in unpod_calllogs.__file__
    assert unpod_calllogs.__version__ == "0.1.0"


def test_one_page_has_count_data_and_position(client):
    page = client.call_logs.list(page_size=25, page=2)
    assert isinstance(page, CallLogPage)
    assert (page.count, page.page, page.page_size, len(page.data)) == (500, 2, 25, 25)
    assert page.has_next_page()
    following = page.next_page()
    assert following.page == 3 and following.data[0] != page.data[0]
    last = client.call_logs.list(page_size=100, page=5)
    assert not last.has_next_page() and last.next_page() is None


def test_records_have_typed_fields(client):
    record = client.call_logs.list(page_size=1).data[0]
    assert isinstance(record, CallLog)
    assert isinstance(record.call_type, CallType) and isinstance(record.call_type, str)
    assert isinstance(record.call_status, CallStatus)
    assert record.creation_time.tzinfo is not None and record.creation_time.utcoffset() == datetime.timedelta(0)
    assert isinstance(record.call_duration, int)
    assert record.source_number.startswith("+")
    if record.start_time is None:
        assert record.end_time is None and record.call_duration == 0
    else:
        assert (record.end_time - record.start_time).total_seconds() == record.call_duration
    as_dict = record.to_dict()
    assert as_dict["creation_time"] == record.creation_time
    assert set(as_dict) == {
        "source_number", "destination_number", "call_type", "call_status", "creation_time",
        "start_time", "end_time", "call_duration", "end_reason",
    }
    assert "CallLog(creation_time=" in repr(record)
    assert record == client.call_logs.list(page_size=1).data[0]
    assert json.loads(record.to_json())["call_type"] == record.call_type.value


def test_real_server_shapes_are_kept():
    body = (pathlib.Path(__file__).parent / "real-server-page.json").read_bytes()
    first, second, third = unpod_calllogs.records_from_json(body)
    assert first.call_type == "both" and not first.call_type.is_documented
    assert first.call_status == "connected" and isinstance(first.call_status, CallStatus)
    assert first.call_duration == 90.5
    assert first.extra["bridge"] == {"slug": "sales-line", "name": "Sales"}
    assert first.extra["id"] == 91842 and first.extra["agent"] is None
    assert first.to_dict()["product_id"] == "unpod.ai"
    assert first.creation_time == datetime.datetime(2026, 2, 7, 5, 57, 0, 123456, tzinfo=UTC)
    assert second.call_status == "FAILED" and second.call_duration == 0
    assert third.call_status is CallStatus.NO_ANSWER
    with pytest.raises(DecodeError):
        unpod_calllogs.records_from_json(b"<html>")


def test_filters_accept_enums_and_strings(client):
    everything = client.call_logs.all(page_size=1000)
    for call_type in CallType:
        for given in (call_type, call_type.value):
            page = client.call_logs.list(call_type=given, page_size=1000)
            assert page.data == [r for r in everything if r.call_type == call_type]
    for status in CallStatus:
        page = client.call_logs.list(call_status=status.value, page_size=1000)
        assert page.data == [r for r in everything if r.call_status is status]
        assert page.count == len(page.data) > 0


@pytest.mark.parametrize(
    "start, end",
    [
        (datetime.date(2026, 2, 10), datetime.date(2026, 2, 12)),
        ("2026-02-10", "2026-02-12"),
        (datetime.datetime(2026, 2, 10), datetime.datetime(2026, 2, 12, 23, 59, 59, 999999)),
        (
            datetime.datetime(2026, 2, 10, 5, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30))),
            "2026-02-12T23:59:59.999999Z",
        ),
    ],
)
def test_dates_accept_date_datetime_and_strings(client, start, end):
    page = client.call_logs.list(start_date=start, end_date=end, page_size=1000)
    first = datetime.datetime(2026, 2, 10, tzinfo=UTC)
    last = datetime.datetime(2026, 2, 13, tzinfo=UTC)
    everything = client.call_logs.all()
    assert page.data == [r for r in everything if first <= r.creation_time < last]
    assert page.count > 0


def test_naive_datetimes_are_utc(client):
    moment = client.call_logs.list(page_size=1, page=40).data[0].creation_time
    naive = moment.replace(tzinfo=None)
    page = client.call_logs.list(end_date=naive, page_size=1)
    assert page.data[0].creation_time == moment


def test_iter_walks_every_page_in_order(client, server):
    everything = client.call_logs.all(page_size=1000)
    for page_size in (1, 7, 100, 1000):
        for prefetch in (0, 1, 4, 64):
            assert list(client.call_logs.iter(page_size=page_size, prefetch=prefetch)) == everything
    assert list(client.call_logs.iter(page_size=30, limit=45)) == everything[:45]
    assert list(client.call_logs.iter(page_size=30, limit=45, prefetch=0)) == everything[:45]
    for bad in (-1, 65, 1.5, "4"):
        with pytest.raises(ConfigError, match="prefetch"):
            client.call_logs.iter(prefetch=bad)  # type: ignore[arg-type]
    completed = list(client.call_logs.iter(call_status=CallStatus.COMPLETED, page_size=33))
    assert completed == [r for r in everything if r.call_status is CallStatus.COMPLETED]


def test_iterating_a_page_walks_on_to_the_last(client):
    everything = client.call_logs.all()
    page = client.call_logs.list(page_size=40, page=3)
    assert list(page) == everything[80:]


def test_all_fetches_concurrently(server):
    with ReferenceServer(records=300, latency=0.05) as slow:
        client = Client(slow.token, slow.org_handle, slow.url)
        for concurrency in (1, 4):
            before = slow.requests
            records = client.call_logs.all(page_size=20, concurrency=concurrency)
            assert len(records) == 300
            assert slow.requests - before == 15
            assert slow.peak_concurrency == concurrency
            assert records == list(client.call_logs.iter(page_size=300))


@pytest.mark.parametrize(
    "filters, parameter",
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1001}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": 1.5}, "page"),
        ({"call_type": "sideways"}, "call_type"),
        ({"call_status": "busy"}, "call_status"),
        ({"start_date": "last week"}, "start_date"),
        ({"start_date": datetime.date(2026, 2, 9), "end_date": datetime.date(2026, 2, 8)}, "start_date"),
    ],
)
def test_invalid_filters_fail_before_any_request(client, server, filters, parameter):
    before = server.requests
    with pytest.raises(InvalidQueryError) as caught:
        client.call_logs.list(**filters)
    assert caught.value.parameter == parameter
    assert f"`{parameter}`" in str(caught.value)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, CallLogsError)
    if "page" not in filters:
        with pytest.raises(InvalidQueryError):
            client.call_logs.iter(**filters)
        with pytest.raises(InvalidQueryError):
            client.call_logs.all(**filters)
    assert server.requests == before


def test_each_status_raises_its_exception(server):
    def fails(status, **kwargs):
        with ReferenceServer(records=5, script=[status], retry_after_secs=0) as scripted:
            with pytest.raises(CallLogsError) as caught:
                Client(scripted.token, scripted.org_handle, scripted.url, max_retries=0).call_logs.list(**kwargs)
            return caught.value

    for status, cls in [(400, BadRequestError), (429, RateLimitError), (500, InternalServerError), (503, InternalServerError)]:
        error = fails(status)
        assert type(error) is cls and error.status_code == status and error.body

    bad_token = Client("not-the-token", server.org_handle, server.url)
    with pytest.raises(AuthenticationError) as caught:
        bad_token.call_logs.list()
    assert caught.value.status_code == 401
    assert "not-the-token" not in str(caught.value) and "not-the-token" not in repr(caught.value)
    with pytest.raises(PermissionDeniedError):
        Client(server.token, "initech", server.url).call_logs.list()
    with pytest.raises(NotFoundError):
        Client(server.token, "nobody", server.url).call_logs.list()


def test_transport_failures(server):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(APIConnectionError):
        Client("t", "o", f"http://127.0.0.1:{port}", max_retries=0).call_logs.list()
    with ReferenceServer(records=5, latency=2.0) as slow:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            Client(slow.token, slow.org_handle, slow.url, timeout=0.2, max_retries=0).call_logs.list()
        assert time.monotonic() - started < 1.5


def test_a_non_json_200_is_a_decode_error():
    import http.server

    class Html(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>maintenance</html>")

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Html)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(DecodeError) as caught:
            Client("t", "o", f"http://127.0.0.1:{httpd.server_port}").call_logs.list()
        assert caught.value.status_code == 200 and caught.value.body.startswith("<html>")
    finally:
        httpd.shutdown()


def test_retries_recover_and_warn(caplog):
    with ReferenceServer(records=5, script=[503, 503], retry_after_secs=0) as flaky:
        with caplog.at_level(logging.WARNING, logger="unpod_calllogs"):
            page = Client(flaky.token, flaky.org_handle, flaky.url).call_logs.list()
        assert page.count == 5
        assert flaky.requests == 3
    retries = [r for r in caplog.records if r.name.startswith("unpod_calllogs") and "retry" in r.getMessage()]
    assert len(retries) == 2
    assert all(flaky.token not in r.getMessage() for r in caplog.records)


def test_configuration_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("UNPOD_PLATFORM_TOKEN", server.token)
    monkeypatch.setenv("UNPOD_ORG_HANDLE", server.org_handle)
    monkeypatch.setenv("UNPOD_BASE_URL", server.url)
    with Client() as client:
        assert client.call_logs.list().count == 500
        assert server.token not in repr(client) and "***" in repr(client)
    monkeypatch.delenv("UNPOD_PLATFORM_TOKEN")
    with pytest.raises(CallLogsError, match="UNPOD_PLATFORM_TOKEN"):
        Client()
    with pytest.raises(CallLogsError, match="timeout"):
        Client("t", timeout=0)


def test_the_gil_is_released_while_waiting():
    with ReferenceServer(records=5, latency=0.5) as slow:
        client = Client(slow.token, slow.org_handle, slow.url)
        ticks = []
        done = threading.Event()

        def count():
            while not done.is_set():
                ticks.append(1)
                time.sleep(0.01)

        worker = threading.Thread(target=count)
        worker.start()
        client.call_logs.list()
        done.set()
        worker.join()
        assert len(ticks) > 20


def test_ctrl_c_interrupts_a_long_wait():
    with ReferenceServer(records=5, latency=5.0) as slow:
        client = Client(slow.token, slow.org_handle, slow.url)
        threading.Timer(0.3, _thread.interrupt_main).start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            client.call_logs.list()
        assert time.monotonic() - started < 2.0


def test_reference_server_helper():
    server = ReferenceServer(records=12, seed=3)
    with server:
        assert server.url.startswith("http://127.0.0.1:")
        assert (server.token, server.org_handle) == ("test-token", "acme")
        assert Client(server.token, server.org_handle, server.url).call_logs.list().count == 12
        assert "acme" in repr(server)
    with pytest.raises(APIConnectionError):
        Client(server.token, server.org_handle, server.url, max_retries=0).call_logs.list()
    with pytest.raises(ValueError, match="unknown fault"):
        ReferenceServer(fault="no-such-fault")
    with pytest.raises(ValueError, match="^past_last: .*known: empty, 400, 404"):
        ReferenceServer(past_last="500")


def test_reference_server_takes_every_knob_of_the_core_by_its_name():
    import inspect

    from unpod_calllogs import _native

    keywords = list(inspect.signature(ReferenceServer).parameters)
    assert sorted(keywords) == sorted(_native.REFERENCE_OPTIONS)
    with ReferenceServer(records=30, page_size_cap=7, required_header="Product-Id", end_at=datetime.datetime(2026, 1, 1)) as capped:
        client = Client(capped.token, capped.org_handle, capped.url, headers={"Product-Id": "unpod.ai"})
        page = client.call_logs.list(page_size=20)
        assert (len(page.data), page.page_size) == (7, 7)
        assert max(r.creation_time for r in page.data) < datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        with pytest.raises(BadRequestError):
            Client(capped.token, capped.org_handle, capped.url).call_logs.list()


def test_a_server_fault_is_caught_or_visible_through_the_client():
    with ReferenceServer(records=50, fault="ignore-call-type") as broken:
        with pytest.raises(ServerContractError, match="call_type=inbound"):
            Client(broken.token, broken.org_handle, broken.url).call_logs.list(call_type="inbound", page_size=100)
        trusting = Client(broken.token, broken.org_handle, broken.url, verify_filters=False)
        records = trusting.call_logs.list(call_type="inbound", page_size=100).data
        assert {r.call_type for r in records} == {CallType.INBOUND, CallType.OUTBOUND}


def test_close_makes_the_client_and_its_copies_refuse_to_send(server):
    with Client(server.token, server.org_handle, server.url) as client:
        copy = client.with_options(timeout=5)
        assert client.call_logs.list().count == 500
    for closed in (client, copy):
        with pytest.raises(ConfigError, match="closed"):
            closed.call_logs.list()


def test_all_and_to_arrow_take_a_limit(client):
    assert len(client.call_logs.all(page_size=30, limit=75)) == 75
    assert len(client.call_logs.to_arrow(page_size=30, limit=45)) == 45
    with pytest.raises(ConfigError, match="limit"):
        client.call_logs.all(limit=-1)
