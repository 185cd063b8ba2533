import asyncio

import pytest

from unpod_calllogs import AsyncCallLogPage, AsyncClient, CallStatus, InvalidQueryError, NotFoundError
from unpod_calllogs.testing import ReferenceServer


def run(coroutine):
    return asyncio.run(coroutine)


def test_async_surface_matches_the_sync_one(server, client):
    everything = client.call_logs.all()

    async def main():
        async with AsyncClient(server.token, server.org_handle, server.url) as aclient:
            page = await aclient.call_logs.list(page_size=30, page=2)
            assert isinstance(page, AsyncCallLogPage)
            assert (page.count, page.page, len(page.data)) == (500, 2, 30)
            following = await page.next_page()
            assert following.page == 3
            walked = [r async for r in page]
            assert walked == everything[30:]
            assert [r async for r in aclient.call_logs.iter(page_size=41)] == everything
            assert [r async for r in aclient.call_logs.iter(page_size=41, limit=50)] == everything[:50]
            assert await aclient.call_logs.all(concurrency=4, page_size=25) == everything
            completed = await aclient.call_logs.list(call_status=CallStatus.COMPLETED, page_size=1000)
            assert completed.data == [r for r in everything if r.call_status is CallStatus.COMPLETED]

    run(main())


def test_async_errors(server):
    async def main():
        aclient = AsyncClient(server.token, "nobody", server.url)
        with pytest.raises(NotFoundError):
            await aclient.call_logs.list()
        with pytest.raises(InvalidQueryError):
            await aclient.call_logs.list(page_size=0)
        with pytest.raises(InvalidQueryError):
            aclient.call_logs.iter(call_type="sideways")

    run(main())


def test_async_requests_run_concurrently_on_the_callers_loop():
    with ReferenceServer(records=10, latency=0.3) as slow:
        async def main():
            aclient = AsyncClient(slow.token, slow.org_handle, slow.url)
            return await asyncio.gather(*(aclient.call_logs.list(page=1) for _ in range(8)))

        pages = run(main())
        assert all(p.count == 10 for p in pages)
        assert slow.peak_concurrency == 8
