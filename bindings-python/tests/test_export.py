"""`call_logs.export()` into files over real sockets: a path is complete or not there, an export
that stops says how many records it wrote and where, `resume=True` continues it exactly, and
`progress=` hears every page."""

import asyncio
import datetime
import io
import pathlib
import threading
import time
from typing import Any, Dict, List

import pytest

from unpod_calllogs import APIConnectionError, AsyncClient, CallLogsError, Client, ConfigError
from unpod_calllogs.testing import ReferenceServer

END_AT = "2026-01-02"


def client_of(server: ReferenceServer) -> Client:
    return Client(server.token, server.org_handle, server.url, max_retries=0)


def test_an_export_stopped_midway_leaves_no_target_names_its_partial_and_resumes_exactly(
    tmp_path: pathlib.Path,
) -> None:
    target = tmp_path / "calls.csv"
    partial = tmp_path / "calls.csv.partial"
    first = ReferenceServer(records=3000, seed=3, end_at=END_AT, latency=0.02)
    failure: List[BaseException] = []

    def run() -> None:
        try:
            client_of(first).call_logs.export(target, page_size=50, prefetch=0)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            failure.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    started = time.monotonic()
    while not (partial.exists() and partial.stat().st_size > 0):
        assert time.monotonic() - started < 30, "the export never began"
        time.sleep(0.005)
    time.sleep(0.1)
    first.stop()
    worker.join(30)
    assert len(failure) == 1 and isinstance(failure[0], APIConnectionError), failure
    error = failure[0]
    assert isinstance(error, CallLogsError)
    assert not target.exists(), "no file that looks complete"
    assert error.partial == str(partial)
    assert error.rows_written is not None and error.rows_written >= 50
    assert len(partial.read_text().splitlines()) == error.rows_written + 1, "the header and the rows"
    assert f"stopped after {error.rows_written} records" in str(error)

    with ReferenceServer(records=3000, seed=3, end_at=END_AT) as second:
        client = client_of(second)
        with pytest.raises(ConfigError, match="other settings"):
            client.call_logs.export(target, page_size=50, resume=True, call_status="missed")
        seen: List[Dict[str, Any]] = []
        assert client.call_logs.export(target, page_size=50, resume=True, progress=seen.append) == 3000
        assert not partial.exists()
        assert seen[0]["records"] > error.rows_written and seen[-1]["records"] == 3000
        assert seen[-1]["total"] == 3000 and seen[-1]["down_to"].endswith("Z")
        whole = tmp_path / "whole.csv"
        assert client.call_logs.export(whole) == 3000
        assert target.read_bytes() == whole.read_bytes()


def test_a_stream_export_that_stops_says_how_many_records_it_wrote_and_refuses_resume(
    tmp_path: pathlib.Path,
) -> None:
    server = ReferenceServer(records=2000, seed=5, latency=0.02)
    buffer = io.BytesIO()
    failure: List[BaseException] = []

    def run() -> None:
        try:
            client_of(server).call_logs.export(buffer, format="ndjson", page_size=50, prefetch=0)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            failure.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.3)
    server.stop()
    worker.join(30)
    assert len(failure) == 1 and isinstance(failure[0], CallLogsError), failure
    assert failure[0].rows_written == len(buffer.getvalue().splitlines()) > 0
    assert failure[0].partial is None
    with ReferenceServer(records=10) as other:
        with pytest.raises(ConfigError, match="give a path"):
            client_of(other).call_logs.export(io.BytesIO(), format="csv", resume=True)


def test_an_async_export_into_a_path_reports_progress_and_renames_only_when_whole(
    server: ReferenceServer, tmp_path: pathlib.Path
) -> None:
    target = tmp_path / "calls.ndjson"
    seen: List[Dict[str, Any]] = []

    async def export() -> int:
        client = AsyncClient(server.token, server.org_handle, server.url)
        return await client.call_logs.export(target, page_size=100, progress=seen.append)

    assert asyncio.run(export()) == 500
    assert len(target.read_text().splitlines()) == 500
    assert [p["records"] for p in seen] == [100, 200, 300, 400, 500]
    assert not (tmp_path / "calls.ndjson.partial.json").exists()
    streamed: List[Dict[str, Any]] = []
    Client(server.token, server.org_handle, server.url).call_logs.export(
        io.BytesIO(), format="csv", page_size=250, progress=streamed.append
    )
    assert [(p["records"], p["total"]) for p in streamed] == [(250, 500), (500, 500)]


def test_all_and_to_arrow_report_each_page_and_refuse_a_progress_of_another_type(
    server: ReferenceServer, client: Client
) -> None:
    seen: List[Dict[str, Any]] = []
    records = client.call_logs.all(page_size=100, progress=seen.append)
    assert [p["records"] for p in seen] == [100, 200, 300, 400, 500]
    assert all(p["total"] == 500 for p in seen) and seen[-1]["requests"] >= 5
    down_to = datetime.datetime.fromisoformat(seen[-1]["down_to"].replace("Z", "+00:00"))
    assert down_to == records[-1].creation_time
    columns: List[Dict[str, Any]] = []
    assert len(client.call_logs.to_arrow(page_size=250, progress=columns.append)) == 500
    assert [p["records"] for p in columns] == [250, 500]

    async def read() -> int:
        calls = AsyncClient(server.token, server.org_handle, server.url).call_logs
        heard: List[Dict[str, Any]] = []
        table = await calls.to_arrow(page_size=500, progress=heard.append)
        everything = await calls.all(page_size=500, progress=heard.append)
        assert [p["records"] for p in heard] == [500, 500]
        return len(table) + len(everything)

    assert asyncio.run(read()) == 1000
    with pytest.raises(ConfigError, match="progress must be True, a callable or None"):
        client.call_logs.all(progress="yes")  # type: ignore[arg-type]
