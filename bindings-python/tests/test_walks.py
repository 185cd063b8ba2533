"""What a walk checks, through every door, against reference servers that break each assumption;
and the unpod-v2 dialect against a server that ignores date filters."""

import asyncio
import datetime

import pytest

from unpod_calllogs import AsyncClient, Client, ConfigError, InvalidQueryError, ServerContractError
from unpod_calllogs.testing import ReferenceServer

RECORDS = 523


def client_of(server, **settings):
    return Client(server.token, server.org_handle, server.url, **settings)


def doors(client):
    """Each way to read every record: (name, a function that reads them all)."""
    return [
        ("all", lambda: client.call_logs.all(page_size=100)),
        ("all, one page at a time", lambda: client.call_logs.all(page_size=100, concurrency=1)),
        ("iter", lambda: list(client.call_logs.iter(page_size=50))),
        ("iter without read-ahead", lambda: list(client.call_logs.iter(page_size=50, prefetch=0))),
        ("a page walked onward", lambda: list(client.call_logs.list(page_size=50))),
        ("to_arrow", lambda: client.call_logs.to_arrow(page_size=100)),
    ]


@pytest.mark.parametrize(
    "fault, violation",
    [("oldest-first", "order"), ("last-page-repeat", "repeated_record"), ("count-drifts", "count_changed")],
)
def test_a_broken_assumption_is_an_error_through_every_door(fault, violation):
    with ReferenceServer(records=RECORDS, seed=4, fault=fault) as server:
        for door, read in doors(client_of(server)):
            with pytest.raises(ServerContractError) as raised:
                read()
            error = raised.value
            assert error.violation == violation, door
            assert error.page is not None and f"page {error.page}" in str(error), door
            if violation == "order":
                assert error.record["creation_time"] > error.previous_record["creation_time"], door
            if violation == "repeated_record":
                assert isinstance(error.record, dict), door


def test_records_before_the_broken_page_are_handed_on_first():
    with ReferenceServer(records=RECORDS, seed=4, fault="last-page-repeat") as server:
        got = []
        with pytest.raises(ServerContractError) as raised:
            for record in client_of(server).call_logs.iter(page_size=100, prefetch=2):
                got.append(record)
        assert raised.value.violation == "repeated_record" and raised.value.page == 6
        assert len(got) == 500


def test_oldest_first_fails_even_a_limited_walk_instead_of_stopping_short():
    with ReferenceServer(records=RECORDS, seed=4, fault="oldest-first") as server:
        with pytest.raises(ServerContractError, match="newest first"):
            list(client_of(server).call_logs.iter(limit=10, page_size=5))


def window(everything, newer, older):
    return everything[-older].creation_time, everything[newer].creation_time


def test_the_unpod_v2_dialect_reads_date_windows_exactly():
    with ReferenceServer(records=RECORDS, seed=9, real_world_records=True) as faithful, ReferenceServer(
        records=RECORDS, seed=9, emulate="unpod-v2"
    ) as real:
        truth_client = client_of(faithful)
        everything = truth_client.call_logs.all(page_size=1000)
        start, end = window(everything, 30, 200)
        truth = truth_client.call_logs.all(start_date=start, end_date=end)
        assert truth

        key = lambda r: (r.creation_time, r.to_json())  # noqa: E731 - ties come in any order
        client = client_of(real, dialect="unpod-v2")
        warnings = []
        client.on("warning", warnings.append)
        before = real.requests
        got = client.call_logs.all(start_date=start, end_date=end, page_size=20, concurrency=1)
        assert sorted(got, key=key) == sorted(truth, key=key)
        # The cost: the records newer than start_date, not the whole history.
        read = RECORDS - 200 + 1
        assert real.requests - before <= -(-read // 20) + 1 + len(warnings)
        assert sorted(client.call_logs.iter(start_date=start, end_date=end, page_size=33), key=key) == sorted(truth, key=key)

        async def walk():
            aclient = AsyncClient(real.token, real.org_handle, real.url, dialect="unpod-v2")
            return [r async for r in aclient.call_logs.iter(start_date=start, end_date=end)]

        assert sorted(asyncio.run(walk()), key=key) == sorted(truth, key=key)

        with pytest.raises(ConfigError, match="unpod-v2 dialect"):
            client.call_logs.list(start_date=start)


def test_without_the_dialect_the_error_names_it_in_python_spelling():
    with ReferenceServer(records=RECORDS, seed=9, emulate="unpod-v2") as real:
        client = client_of(real, headers={"Product-Id": "unpod.ai"})
        with pytest.raises(ServerContractError) as raised:
            client.call_logs.all(end_date=datetime.date(2026, 1, 1))
        assert raised.value.violation == "filter_not_applied"
        assert 'dialect="unpod-v2"' in str(raised.value) and "UNPOD_DIALECT=unpod-v2" in str(raised.value)
        assert "verify_filters" not in str(raised.value)
        with pytest.raises(ConfigError, match='unknown dialect "unpod-v3"'):
            client_of(real, dialect="unpod-v3")


def test_event_hooks_hear_requests_answers_retries_and_warnings():
    with ReferenceServer(records=60, seed=2, script=[503], page_size_cap=25) as server:
        client = client_of(server)
        heard = []
        client.on("request", lambda d: heard.append(("request", d)))
        client.on("response", lambda d: heard.append(("response", d)))
        client.on("retry", lambda d: heard.append(("retry", d)))
        client.on("warning", lambda d: heard.append(("warning", d)))
        copy = client.with_options(timeout=30)
        assert len(copy.call_logs.all(page_size=100)) == 60
        names = [name for name, _ in heard]
        assert names[:3] == ["request", "response", "retry"]
        retry = dict(heard)["retry"]
        assert retry["attempt"] == 1 and retry["delay"] > 0 and "503" in retry["error"]
        response = [d for name, d in heard if name == "response"][-1]
        assert response["status"] == 200 and response["elapsed"] >= 0 and server.token not in response["url"]
        warning = dict(heard)["warning"]
        assert "serves 25 records a page" in warning["message"]
        with pytest.raises(ConfigError, match="no event named 'answer'"):
            client.on("answer", print)


def test_a_listener_removed_hears_nothing_more_and_the_others_still_hear():
    with ReferenceServer(records=30, seed=2) as server:
        client = client_of(server)
        first, second = [], []
        hear_first, hear_second = first.append, second.append
        client.on("request", hear_first).on("request", hear_second)
        copy = client.with_options(timeout=30)
        assert len(copy.call_logs.all(page_size=10)) == 30
        assert len(first) == len(second) == 3
        client.off("request", hear_first)
        assert len(copy.call_logs.all(page_size=10)) == 30
        assert len(first) == 3 and len(second) == 6
        copy.off("request", hear_second)
        assert len(client.call_logs.all(page_size=10)) == 30
        assert len(first) == 3 and len(second) == 6
        client.on("request", hear_first)
        assert len(client.call_logs.all(page_size=10)) == 30
        assert len(first) == 6 and len(second) == 6


def test_a_listener_that_raises_is_reported_and_the_walk_goes_on(monkeypatch):
    import sys

    reported = []
    monkeypatch.setattr(sys, "unraisablehook", lambda info: reported.append(info.exc_value))
    with ReferenceServer(records=30, seed=2) as server:
        client = client_of(server).on("request", lambda d: 1 / 0)
        assert len(client.call_logs.all(page_size=10)) == 30
    assert reported and all(isinstance(e, ZeroDivisionError) for e in reported)


def test_an_invalid_date_filter_is_refused_before_any_request():
    with ReferenceServer(records=10) as server:
        with pytest.raises(InvalidQueryError) as raised:
            client_of(server).call_logs.all(start_date="garbage")
        assert raised.value.parameter == "start_date"


def test_an_emulated_server_keeps_the_fault_it_is_given():
    with ReferenceServer(records=RECORDS, seed=9, emulate="unpod-v2", fault="oldest-first") as real:
        client = client_of(real, dialect="unpod-v2")
        with pytest.raises(ServerContractError) as raised:
            client.call_logs.all(page_size=100)
        assert raised.value.violation == "order"
