"""The dlt source (`unpod_calllogs.dlt`) loading into dlt's duckdb destination, against the reference
server over real sockets: a first load holds exactly the server's records, a second reads only the
lookback and the calls that came since, calls that arrive late are merged in by key, a load that
fails loads nothing and the next one finishes it, and the extra's import error."""

import datetime
import pathlib
import sys
import threading
from typing import Any, List, Set, Tuple

import dlt
import duckdb
import pytest

from unpod_calllogs import Client, DestinationError
from unpod_calllogs.dlt import STATE_KEY, call_logs_source
from unpod_calllogs.testing import ReferenceServer

Row = Tuple[Any, ...]


def pipeline(tmp_path: pathlib.Path, name: str = "calls") -> Any:
    return dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(str(tmp_path / f"{name}.duckdb")),
        dataset_name="unpod",
        pipelines_dir=str(tmp_path / "pipelines"),
    )


def loaded(tmp_path: pathlib.Path, name: str = "calls") -> List[Row]:
    with duckdb.connect(str(tmp_path / f"{name}.duckdb"), read_only=True) as connection:
        return connection.execute(
            "SELECT creation_time, source_number, destination_number, call_status, record_key FROM unpod.call_logs"
        ).fetchall()


def records(client: Client) -> Set[Row]:
    return {
        (log.creation_time, log.source_number, log.destination_number, log.call_status.value)
        for log in client.call_logs.all(page_size=1000)
    }


def test_a_first_load_holds_the_servers_records_and_a_second_reads_only_the_lookback(tmp_path: pathlib.Path) -> None:
    with ReferenceServer(records=600, seed=3) as server:
        client = Client(server.token, server.org_handle, server.url)
        calls = pipeline(tmp_path)
        calls.run(call_logs_source(client, max_records=150, page_size=50))
        rows = loaded(tmp_path)
        assert len(rows) == 600
        assert len({row[-1] for row in rows}) == 600, "record_key is unique"
        assert {row[:-1] for row in rows} == records(client)
        state = calls.state["sources"]["unpod_calllogs"]["resources"]["call_logs"][STATE_KEY]
        assert '"run":null' in state

        before = server.requests
        calls.run(call_logs_source(client, max_records=150, page_size=50))
        assert server.requests - before <= 3, "the history ended long before the lookback"
        assert len(loaded(tmp_path)) == 600


def test_calls_that_arrive_late_are_merged_in_by_the_next_load(tmp_path: pathlib.Path) -> None:
    end = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    with ReferenceServer(records=800, seed=5, end_at=end, late_inserts=1, late_by=1800.0) as server:
        client = Client(server.token, server.org_handle, server.url)
        calls = pipeline(tmp_path)
        source = lambda: call_logs_source(client, max_records=100, page_size=50)  # noqa: E731
        calls.run(source())
        between = records(client)
        calls.run(source())
        rows = loaded(tmp_path)
        assert len({row[-1] for row in rows}) == len(rows), "no record twice"
        held = {row[:-1] for row in rows}
        after = records(client)
        assert len(between) > 800, "calls arrived late during the first load"
        until = max(row[0] for row in rows)
        assert {r for r in between if r[0] <= until} <= held <= after


def test_a_load_that_fails_midway_loads_nothing_and_the_next_one_finishes(tmp_path: pathlib.Path) -> None:
    with ReferenceServer(records=2000, seed=9, latency=0.02) as failing:
        client = Client(failing.token, failing.org_handle, failing.url, max_retries=0)
        calls = pipeline(tmp_path)
        threading.Timer(0.4, failing.stop).start()
        with pytest.raises(Exception):
            calls.run(call_logs_source(client, max_records=200, page_size=50))
    with duckdb.connect(str(tmp_path / "calls.duckdb")) as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'call_logs'"
        ).fetchone()
    assert tables == (0,), "a failed load loads nothing"
    with ReferenceServer(records=2000, seed=9) as server:
        client = Client(server.token, server.org_handle, server.url)
        calls = pipeline(tmp_path)
        calls.run(call_logs_source(client, max_records=200, page_size=50))
        rows = loaded(tmp_path)
        assert len(rows) == 2000 == len({row[-1] for row in rows})
        assert {row[:-1] for row in rows} == records(client)


def test_other_filters_on_the_same_state_are_refused_and_a_missing_dlt_names_the_extra(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ReferenceServer(records=200, seed=2) as server:
        client = Client(server.token, server.org_handle, server.url)
        calls = pipeline(tmp_path)
        calls.run(call_logs_source(client, call_type="inbound"))
        with pytest.raises(Exception) as error:
            calls.run(call_logs_source(client, call_type="outbound"))
        chain: List[BaseException] = []
        cause: Any = error.value
        while cause is not None:
            chain.append(cause)
            cause = cause.__cause__ or cause.__context__
        assert any(isinstance(e, DestinationError) and "call_type=inbound" in str(e) for e in chain), chain
    monkeypatch.setitem(sys.modules, "dlt", None)
    with pytest.raises(ImportError, match=r"unpod-calllogs\[dlt\]"):
        call_logs_source(client)
