"""The client against the reference server made to paginate and filter as real servers do."""

import asyncio
import datetime
import logging

import pytest

from unpod_calllogs import AsyncClient, Client, InvalidQueryError, ServerContractError
from unpod_calllogs.testing import ReferenceServer

RECORDS = 523
SEED = 9


@pytest.fixture(scope="module")
def expected():
    """Every record, newest first, as a faithful server answers."""
    with ReferenceServer(records=RECORDS, seed=SEED) as faithful:
        return Client(faithful.token, faithful.org_handle, faithful.url).call_logs.all(page_size=1000)


def client_of(server, **options):
    return Client(server.token, server.org_handle, server.url, **options)


@pytest.mark.parametrize("cap, asked", [(100, 1000), (50, 200)])
def test_a_silent_page_size_cap_is_learned(expected, caplog, cap, asked):
    assert len(expected) == RECORDS
    with ReferenceServer(records=RECORDS, seed=SEED, page_size_cap=cap) as server:
        client = client_of(server)
        with caplog.at_level(logging.WARNING, logger="unpod_calllogs"):
            assert list(client.call_logs.iter(page_size=asked)) == expected
        warnings = [r.getMessage() for r in caplog.records if "records a page" in r.getMessage()]
        assert warnings == [f"the server serves {cap} records a page although {asked} were asked for; walking on with page_size={cap}"]
        assert list(client.call_logs.iter(page_size=asked, limit=170)) == expected[:170]
        assert client.call_logs.all(page_size=asked) == expected
        assert client.call_logs.all(page_size=asked, concurrency=1) == expected
        page = client.call_logs.list(page_size=asked)
        assert (page.page_size, len(page.data), page.has_next_page()) == (cap, cap, True)
        assert page.next_page().data == expected[cap : 2 * cap]
        assert list(page) == expected


def test_a_default_page_size_other_than_20(expected):
    with ReferenceServer(records=RECORDS, seed=SEED, default_page_size=10) as server:
        page = client_of(server).call_logs.list()
        assert (page.page_size, len(page.data), page.count) == (10, 10, RECORDS)
        assert list(page) == expected


@pytest.mark.parametrize("past_last", ["empty", "400", "404"])
def test_the_answer_past_the_last_page_leaves_walks_whole(expected, past_last):
    with ReferenceServer(records=RECORDS, seed=SEED, past_last=past_last, page_size_cap=100) as server:
        client = client_of(server)
        for page_size in (100, 523, 1000):
            assert list(client.call_logs.iter(page_size=page_size)) == expected
            assert client.call_logs.all(page_size=page_size) == expected


@pytest.mark.parametrize(
    "ignored, filters, parameter, value",
    [
        ("call_type", {"call_type": "inbound"}, "call_type", "inbound"),
        ("call_status", {"call_status": "missed"}, "call_status", "missed"),
        ("start_date", {"start_date": datetime.date(2026, 2, 20)}, "start_date", "2026-02-20"),
        ("end_date", {"end_date": "2026-02-20"}, "end_date", "2026-02-20"),
    ],
)
def test_a_record_outside_the_filters_raises(ignored, filters, parameter, value, caplog):
    with ReferenceServer(records=RECORDS, seed=SEED, ignored_filters=[ignored]) as server:
        client = client_of(server)
        yielded = []
        with pytest.raises(ServerContractError) as raised:
            for record in client.call_logs.iter(page_size=50, **filters):
                yielded.append(record)
        error = raised.value
        assert (error.violation, error.parameter, error.value) == ("filter_not_applied", parameter, value)
        assert f"`{parameter}={value}`" in str(error)
        assert isinstance(error.record, dict) and "creation_time" in error.record
        assert server.token not in str(error)
        with pytest.raises(ServerContractError):
            client.call_logs.all(page_size=1000, **filters)
        with pytest.raises(ServerContractError):
            client.call_logs.list(page_size=1000, **filters)

        with caplog.at_level(logging.WARNING, logger="unpod_calllogs"):
            trusting = client_of(server, verify_filters=False)
        assert any("filter verification is off" in r.getMessage() for r in caplog.records)
        assert len(trusting.call_logs.all(page_size=1000, **filters)) == RECORDS


def test_the_async_client_learns_and_verifies_too(expected):
    async def main(server):
        client = AsyncClient(server.token, server.org_handle, server.url)
        assert [r async for r in client.call_logs.iter(page_size=1000)] == expected
        assert await client.call_logs.all(page_size=1000) == expected
        page = await client.call_logs.list(page_size=1000)
        assert [r async for r in page] == expected
        with pytest.raises(ServerContractError):
            await client.call_logs.all(call_type="outbound")

    with ReferenceServer(records=RECORDS, seed=SEED, page_size_cap=100, ignored_filters=["call_type"]) as server:
        asyncio.run(main(server))


def test_extra_query_and_headers(server):
    client = Client(server.token, server.org_handle, server.url)
    page = client.call_logs.list(extra_query={"start_time": "03-02-2026 00:00:00"}, extra_headers={"X-Trace": "1"})
    assert page.count == 500
    assert len(list(client.call_logs.iter(page_size=200, extra_query={"sort": "x"}))) == 500
    with pytest.raises(InvalidQueryError) as raised:
        client.call_logs.list(extra_query={"call_type": "inbound"})
    assert raised.value.parameter == "extra_query"
    with pytest.raises(InvalidQueryError) as raised:
        client.call_logs.all(extra_headers={"Authorization": "Token other"})
    assert raised.value.parameter == "extra_headers"


def test_history_can_end_now():
    import datetime as dt

    week_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=7)
    with ReferenceServer(records=300, end_at="now") as server:
        assert client_of(server).call_logs.list(start_date=week_ago).count > 20
    with ReferenceServer(records=300) as server:
        assert client_of(server).call_logs.list(start_date=week_ago).count == 0, "2026-03-01 by default"
    with pytest.raises(ValueError, match="neither `now`"):
        ReferenceServer(records=10, end_at="yesterday")
