"""Per-call settings, client copies, the answer behind a page, and records out as files and columns."""

import asyncio
import collections
import csv
import datetime
import io
import json
import time

import pytest

from test_hostile import SECRET, Hostile
from unpod_calllogs import (
    APITimeoutError,
    AsyncClient,
    CallLogTable,
    CallStatus,
    Client,
    ConfigError,
    Response,
    records_from_json,
)
from unpod_calllogs.testing import ReferenceServer

PAGE = {
    "count": 1,
    "status_code": 200,
    "message": "ok",
    "data": [
        {
            "zz_first_unknown": {"a": [1, 2]},
            "source_number": "+4420, \"quoted\"",
            "destination_number": None,
            "call_type": "inbound",
            "call_status": "missed",
            "creation_time": "2026-02-07T05:57:00Z",
            "start_time": None,
            "end_time": None,
            "call_duration": 0,
            "end_reason": "line\nbreak",
            "agent": "ava",
        }
    ],
}


DOCUMENTED = [
    "source_number",
    "destination_number",
    "call_type",
    "call_status",
    "creation_time",
    "start_time",
    "end_time",
    "call_duration",
    "end_reason",
]


def sent_headers(requests):
    return [{name.lower(): value for name, value in handler.headers.items()} for handler in requests]


def recording(status=200, headers=None, body=PAGE, delay=0.0):
    """A hostile server that answers `body` and keeps every request's handler."""
    seen = []

    def answer(handler):
        seen.append(handler)
        time.sleep(delay)
        return status, headers or {}, json.dumps(body).encode()

    return Hostile(answer), seen


def test_per_call_timeout_and_retries_override_the_clients():
    server, seen = recording(delay=0.5)
    with server:
        client = Client(SECRET, "acme", server.url, timeout=5, max_retries=2)
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="100ms"):
            client.call_logs.list(timeout=0.1, max_retries=0)
        assert time.monotonic() - started < 0.45
        assert len(seen) == 1, "max_retries=0 sends one request"
        with pytest.raises(APITimeoutError):
            next(client.call_logs.iter(timeout=0.1, max_retries=0))
        assert len(seen) == 2


@pytest.mark.parametrize(
    "options, named",
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": "5"}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 1.5}, "max_retries"),
    ],
)
def test_bad_per_call_settings_are_config_errors_before_any_request(options, named):
    server, seen = recording()
    with server:
        client = Client(SECRET, "acme", server.url)
        for call in (client.call_logs.list, client.call_logs.all, lambda **o: next(client.call_logs.iter(**o))):
            with pytest.raises(ConfigError, match=named):
                call(**options)
        with pytest.raises(ConfigError, match=named):
            asyncio.run(AsyncClient(SECRET, "acme", server.url).call_logs.list(**options))
    assert seen == []


def test_with_options_changes_a_copy_only():
    server, seen = recording()
    with server:
        client = Client(SECRET, "acme", server.url, headers={"Product-Id": "unpod.ai"})
        tagged = client.with_options(headers={"X-Team": "billing"}, timeout=3)
        assert isinstance(tagged, Client) and tagged is not client
        tagged.call_logs.list()
        client.call_logs.list()
        first, second = sent_headers(seen)
        assert first["x-team"] == "billing" and first["product-id"] == "unpod.ai"
        assert "x-team" not in second
        assert "***" in repr(tagged) and SECRET not in repr(tagged)
        with pytest.raises(ConfigError, match="max_retries"):
            client.with_options(max_retries=101)
        with pytest.raises(ConfigError, match="Org-Handle"):
            client.with_options(headers={"Org-Handle": "other"})

    async def main(url):
        client = AsyncClient(SECRET, "acme", url).with_options(timeout=0.1, max_retries=0)
        assert isinstance(client, AsyncClient)
        with pytest.raises(APITimeoutError):
            await client.call_logs.list()

    slow, seen = recording(delay=0.5)
    with slow:
        asyncio.run(main(slow.url))
        assert len(seen) == 1


def test_a_page_carries_the_answer_behind_it():
    server, _ = recording(headers={"X-Request-Id": f"req-{SECRET}", "X-RateLimit-Remaining": "99"})
    with server:
        page = Client(SECRET, "acme", server.url).call_logs.list()
        response = page.response
        assert isinstance(response, Response)
        assert response.status_code == 200
        assert response.request_id == "req-***"
        assert response.headers["x-ratelimit-remaining"] == "99"
        assert response.headers["x-request-id"] == "req-***"
        assert response.retries == 0
        assert datetime.timedelta(0) < response.elapsed < datetime.timedelta(seconds=5)
    with ReferenceServer(records=30, script=[503]) as reference:
        client = Client(reference.token, reference.org_handle, reference.url)
        page = client.call_logs.list(page_size=10)
        assert page.response.retries == 1
        after = page.next_page()
        assert after is not None and after.response.status_code == 200 and after.response.retries == 0


def test_to_dict_puts_the_documented_fields_first_in_order():
    (record,) = records_from_json(json.dumps(PAGE).encode())
    assert list(record.to_dict()) == DOCUMENTED + ["agent", "zz_first_unknown"]


def csv_text(record):
    """A record as the CSV export writes it, computed here from `to_dict` and `to_json`."""
    fields = json.loads(record.to_json())
    documented = list(fields)[:9]
    row = {name: "" if fields[name] is None else str(fields[name]) for name in documented}
    extra = {name: fields[name] for name in list(fields)[9:]}
    row["extra"] = json.dumps(extra, separators=(",", ":")) if extra else ""
    return row


def test_csv_and_ndjson_exports_read_back_as_the_records(tmp_path):
    with ReferenceServer(records=523, seed=3) as server:
        client = Client(server.token, server.org_handle, server.url)
        expected = client.call_logs.all(call_status=CallStatus.COMPLETED)
        assert len(expected) > 100

        path = tmp_path / "calls.csv"
        assert client.call_logs.export(path, call_status="completed", page_size=50) == len(expected)
        with open(path, newline="") as file:
            rows = list(csv.DictReader(file))
        assert rows == [csv_text(record) for record in expected]

        path = tmp_path / "calls.jsonl"
        assert client.call_logs.export(str(path), call_status="completed") == len(expected)
        lines = path.read_text().splitlines()
        assert [json.loads(line) for line in lines] == [json.loads(r.to_json()) for r in expected]

        buffer = io.BytesIO()
        assert client.call_logs.export(buffer, format="ndjson", limit=7) == 7
        assert len(buffer.getvalue().splitlines()) == 7

        empty = io.BytesIO()
        assert client.call_logs.export(empty, format="csv", start_date="2099-01-01") == 0
        assert empty.getvalue() == b"source_number,destination_number,call_type,call_status,creation_time,start_time,end_time,call_duration,end_reason,extra\r\n"

        async def export_async():
            target = io.BytesIO()
            written = await AsyncClient(server.token, server.org_handle, server.url).call_logs.export(
                target, format="csv", call_status="completed"
            )
            return written, target.getvalue()

        written, text = asyncio.run(export_async())
        assert written == len(expected)
        assert text == (tmp_path / "calls.csv").read_bytes()

        with pytest.raises(ConfigError, match="format"):
            client.call_logs.export(tmp_path / "calls.txt")
        with pytest.raises(ConfigError, match="format must be one of csv, ndjson"):
            client.call_logs.export(io.BytesIO(), format="xml")  # type: ignore[arg-type]


def test_awkward_values_survive_the_csv_round_trip():
    server, _ = recording()
    with server:
        buffer = io.BytesIO()
        Client(SECRET, "acme", server.url).call_logs.export(buffer, format="csv")
        (row,) = csv.DictReader(io.StringIO(buffer.getvalue().decode(), newline=""))
        assert row["source_number"] == '+4420, "quoted"'
        assert row["end_reason"] == "line\nbreak"
        assert row["destination_number"] == ""
        assert json.loads(row["extra"]) == {"zz_first_unknown": {"a": [1, 2]}, "agent": "ava"}


def test_records_reach_pandas_polars_pyarrow_and_duckdb_as_columns():
    pandas = pytest.importorskip("pandas")
    pyarrow = pytest.importorskip("pyarrow")
    polars = pytest.importorskip("polars")
    with ReferenceServer(records=700, seed=5) as server:
        client = Client(server.token, server.org_handle, server.url)
        records = client.call_logs.all(call_type="inbound")
        table = client.call_logs.to_arrow(call_type="inbound", page_size=100)
        assert isinstance(table, CallLogTable) and len(table) == len(records)

        frame = table.to_pandas()
        assert list(frame.columns) == DOCUMENTED + ["extra"]
        by_loop = pandas.DataFrame([r.to_dict() for r in records])
        assert frame["creation_time"].tolist() == by_loop["creation_time"].tolist()
        assert frame["call_duration"].tolist() == [float(d) for d in by_loop["call_duration"]]
        assert frame["call_status"].tolist() == [str(s) for s in by_loop["call_status"]]
        assert frame["start_time"].isna().tolist() == [r.start_time is None for r in records]
        assert str(frame["creation_time"].dtype) == "datetime64[us, UTC]"

        arrow = pyarrow.table(table)
        assert arrow.num_rows == len(records)
        assert arrow.schema.field("creation_time").type == pyarrow.timestamp("us", tz="UTC")
        assert arrow.column("source_number").to_pylist() == [r.source_number for r in records]

        frame = polars.DataFrame(table)
        assert frame.height == len(records)
        assert frame["end_reason"].to_list() == [r.end_reason for r in records]

        duckdb = pytest.importorskip("duckdb")
        calls = table  # DuckDB finds Arrow sources by their variable's name
        counted = dict(duckdb.sql("select call_status, count(*) from calls group by call_status").fetchall())
        assert counted == dict(collections.Counter(str(r.call_status) for r in records))

        async def columns():
            client = AsyncClient(server.token, server.org_handle, server.url)
            return await client.call_logs.to_arrow(call_type="inbound")

        assert asyncio.run(columns()).to_pyarrow().equals(arrow)


def test_columns_laid_out_page_by_page_hold_every_record_across_batches():
    pyarrow = pytest.importorskip("pyarrow")
    # More records than one Arrow batch holds (65,536), in pages that do not divide it.
    with ReferenceServer(records=70_000, seed=9) as server:
        client = Client(server.token, server.org_handle, server.url)
        records = client.call_logs.all(page_size=1000)
        reader = pyarrow.RecordBatchReader.from_stream(client.call_logs.to_arrow(page_size=1000))
        batches = list(reader)
        assert [batch.num_rows for batch in batches] == [65_536, 70_000 - 65_536]
        table = pyarrow.Table.from_batches(batches)
        assert table.column("source_number").to_pylist() == [r.source_number for r in records]
        assert table.column("call_duration").to_pylist() == [float(r.call_duration) for r in records]
        assert table.column("end_time").to_pylist() == [r.end_time for r in records]
