"""Native calls awaited from asyncio: the Rust runtime settles a future through the loop."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from . import _native

_Settle = Callable[[bool, Any], None]


def _resolve(future: "asyncio.Future[Any]", ok: bool, value: Any) -> None:
    if not future.done():
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


async def _call(start: Callable[[_Settle], _native.NativeTask]) -> Any:
    """Awaits a native call. The runtime settles the future through the loop's thread-safe door;
    cancelling the awaiting task cancels the native call (its request and retries)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        try:
            loop.call_soon_threadsafe(_resolve, future, ok, value)
        except RuntimeError:
            pass  # the loop has closed: nobody waits for this result any more

    task = start(settle)
    try:
        return await future
    finally:
        task.cancel()
