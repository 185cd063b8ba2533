"""Uses the clients, then lets the interpreter exit: run by test_shutdown.py, many times over."""

import asyncio
import sys
import threading

from unpod_calllogs import AsyncClient, Client
from unpod_calllogs.testing import ReferenceServer

variant = sys.argv[1]
server = ReferenceServer(records=50)
slow = ReferenceServer(records=5, latency=5.0)


async def use(pending: bool) -> None:
    client = AsyncClient(server.token, server.org_handle, server.url)
    assert (await client.call_logs.list()).count == 50
    assert len([r async for r in client.call_logs.iter(page_size=20)]) == 50
    if pending:
        waiting = AsyncClient(slow.token, slow.org_handle, slow.url)
        for _ in range(3):
            asyncio.get_running_loop().create_task(waiting.call_logs.list())
        await asyncio.sleep(0.01)


if variant == "plain":
    asyncio.run(use(pending=False))
elif variant == "pending":
    asyncio.run(use(pending=True))
elif variant == "never-closed":
    sync = Client(server.token, server.org_handle, server.url)
    iterator = iter(sync.call_logs.iter(page_size=10))
    next(iterator)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(use(pending=True))
elif variant == "thread":
    finished = threading.Event()

    def in_thread() -> None:
        asyncio.run(use(pending=True))
        finished.set()
        sys.exit(0)

    threading.Thread(target=in_thread).start()
    finished.wait()
else:
    raise SystemExit(f"unknown variant {variant}")
print("ok")
