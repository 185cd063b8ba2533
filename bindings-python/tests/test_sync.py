"""`call_logs.sync()` into the embedded SQLite destination and into a Parquet lake (read back with
pyarrow, DuckDB and polars), against the reference server over real sockets, and the
`unpod-calllogs` console script; the extras' import errors."""

import asyncio
import inspect
import json
import os
import pathlib
import sqlite3
import subprocess
import sys
import sysconfig
from typing import Any, Dict, List

import pytest

from unpod_calllogs import (
    AsyncClient,
    Client,
    ConfigError,
    DestinationError,
    InvalidQueryError,
    SyncSummary,
    _native,
)
from unpod_calllogs.testing import ReferenceServer

SCRIPT = pathlib.Path(sysconfig.get_path("scripts")) / "unpod-calllogs"


def rows(db: pathlib.Path, table: str = "call_logs") -> List[Dict[str, Any]]:
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(f"SELECT * FROM {table} ORDER BY creation_time")]


def as_stored(log: Any) -> Dict[str, Any]:
    """A record as the table stores its documented fields."""
    stored = {}
    for name, value in log.to_dict().items():
        if name not in _native.RECORD_FIELDS:
            continue
        if hasattr(value, "strftime"):
            value = value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif hasattr(value, "value"):
            value = value.value
        stored[name] = value
    return stored


def test_a_sync_holds_every_record_with_typed_columns_and_a_second_run_adds_nothing(
    server: ReferenceServer, client: Client, tmp_path: pathlib.Path
) -> None:
    db = tmp_path / "calls.db"
    seen: List[Dict[str, Any]] = []
    summary = client.call_logs.sync(db, max_records=120, progress=seen.append)
    assert isinstance(summary, SyncSummary)
    assert (summary.new, summary.updated, summary.deleted) == (500, 0, 0)
    assert summary.windows >= 500 // 120 and summary.start is None
    assert summary.until.tzinfo is not None and not summary.resumed
    table = rows(db)
    expected = sorted(client.call_logs.all(page_size=1000), key=lambda log: log.creation_time)
    def key(fields: Dict[str, Any]) -> str:
        return json.dumps(fields, sort_keys=True)

    stored = sorted((key({k: row[k] for k in _native.RECORD_FIELDS}) for row in table))
    assert stored == sorted(key(as_stored(log)) for log in expected)
    assert list(table[0])[: len(_native.RECORD_FIELDS)] == _native.RECORD_FIELDS
    assert all(json.loads(row["extra"]) == {} for row in table)
    assert isinstance(table[0]["call_duration"], int)
    assert seen and seen[-1]["records"] == 500 and seen[-1]["total"] == 500
    assert all(set(p["counts"]) == {"new", "updated", "unchanged", "deleted"} for p in seen)

    again = client.call_logs.sync(db, max_records=120)
    assert (again.new, again.updated, again.unchanged, again.deleted) == (0, 0, 0, 0)
    assert again.requests <= 3


def test_a_parquet_lake_is_one_dataset_for_pyarrow_duckdb_and_polars_with_the_servers_records(
    client: Client, tmp_path: pathlib.Path
) -> None:
    import duckdb
    import polars
    import pyarrow.dataset

    lake = tmp_path / "lake"
    summary = client.call_logs.sync(f"parquet:{lake}", max_records=120)
    assert (summary.new, summary.updated, summary.deleted) == (500, 0, 0)
    expected = client.call_logs.all(page_size=1000)
    table = pyarrow.dataset.dataset(lake / "call_logs", format="parquet", partitioning="hive").to_table()
    assert table.column_names[: len(_native.RECORD_FIELDS)] == _native.RECORD_FIELDS
    assert str(table.schema.field("creation_time").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("call_duration").type) == "double"
    read = sorted(
        (row["creation_time"], row["source_number"], row["destination_number"], row["call_status"])
        for row in table.to_pylist()
    )
    assert read == sorted(
        (log.creation_time, log.source_number, log.destination_number, log.call_status.value) for log in expected
    )
    days = {log.creation_time.date().isoformat() for log in expected}
    assert {row["creation_date"] for row in table.select(["creation_date"]).to_pylist()} == days
    glob = f"{lake}/call_logs/*/*.parquet"
    per_day = duckdb.sql(
        f"SELECT creation_date, count(*) FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY 1"
    ).fetchall()
    counts: Dict[str, int] = {}
    for log in expected:
        counts[log.creation_time.date().isoformat()] = counts.get(log.creation_time.date().isoformat(), 0) + 1
    assert {day.isoformat(): n for day, n in per_day} == counts
    inbound = polars.scan_parquet(f"{lake}/call_logs/**/*.parquet").filter(polars.col("call_type") == "inbound")
    assert inbound.select(polars.len()).collect().item() == sum(log.call_type.value == "inbound" for log in expected)

    again = client.call_logs.sync(f"parquet:{lake}", lookback=20 * 365 * 86400)
    assert (again.new, again.updated, again.unchanged, again.deleted) == (0, 0, 500, 0)


def test_an_async_sync_with_filters_and_its_table_refusing_another_stream(
    server: ReferenceServer, tmp_path: pathlib.Path
) -> None:
    db = tmp_path / "missed.db"

    async def main() -> SyncSummary:
        async with AsyncClient(server.token, server.org_handle, server.url) as client:
            return await client.call_logs.sync(str(db), call_status="missed", table="missed")

    summary = asyncio.run(main())
    missed = Client(server.token, server.org_handle, server.url).call_logs.all(call_status="missed")
    assert summary.new == len(missed) > 0
    assert {row["call_status"] for row in rows(db, "missed")} == {"missed"}
    client = Client(server.token, server.org_handle, server.url)
    with pytest.raises(DestinationError, match="call_status=missed"):
        client.call_logs.sync(db, table="missed")


def test_settings_out_of_their_rules_are_refused_by_name_before_any_request(
    client: Client, tmp_path: pathlib.Path
) -> None:
    db = tmp_path / "never.db"
    with pytest.raises(ConfigError, match="max_records"):
        client.call_logs.sync(db, max_records=0)
    with pytest.raises(ConfigError, match="lookback"):
        client.call_logs.sync(db, lookback=-1)
    with pytest.raises(InvalidQueryError) as error:
        client.call_logs.sync(db, end_date="2026-02-01")
    assert error.value.parameter == "end_date"
    with pytest.raises(ConfigError, match="progress"):
        client.call_logs.sync(db, progress=42)  # type: ignore[arg-type]
    with pytest.raises(DestinationError, match="unknown kind"):
        client.call_logs.sync("mongodb://nowhere")


def test_the_signature_is_the_cores_list_of_settings(client: Client) -> None:
    from unpod_calllogs.dlt import call_logs_source

    aclient = AsyncClient("t", "o", "http://127.0.0.1:9")
    for method in (client.call_logs.sync, aclient.call_logs.sync, call_logs_source):
        names = [
            name
            for name, parameter in inspect.signature(method).parameters.items()
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name != "progress"
        ]
        assert names == _native.SYNC_SETTINGS
    fields = [field for field in SyncSummary.__dataclass_fields__]
    assert sorted(fields) == sorted(_native.SYNC_SUMMARY_FIELDS)


def test_a_progress_bar_without_tqdm_names_the_extra_to_install(
    client: Client, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.raises(ImportError, match=r"unpod-calllogs\[progress\]"):
        client.call_logs.sync(tmp_path / "bar.db", progress=True)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    table = client.call_logs.to_arrow(limit=3)
    with pytest.raises(ImportError, match=r"unpod-calllogs\[arrow\]"):
        table.to_pyarrow()
    with pytest.raises(ImportError, match=r"unpod-calllogs\[pandas\]"):
        table.to_pandas()


def test_the_console_script_syncs_with_a_line_per_window_and_keeps_the_token_out(
    server: ReferenceServer, tmp_path: pathlib.Path
) -> None:
    db = tmp_path / "cli.db"
    env = {
        **os.environ,
        "UNPOD_BASE_URL": server.url,
        "UNPOD_PLATFORM_TOKEN": server.token,
        "UNPOD_ORG_HANDLE": server.org_handle,
    }
    result = subprocess.run(
        [str(SCRIPT), "sync", str(db), "--max-records", "200", "--json"],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["new"] == 500
    assert result.stderr.count("window ") >= 3, result.stderr
    assert server.token not in result.stdout + result.stderr
    assert len(rows(db)) == 500
