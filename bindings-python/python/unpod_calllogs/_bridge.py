"""Native calls awaited from asyncio: the Rust runtime settles a future through the loop."""

from __future__ import annotations

import asyncio
import os
import weakref
from typing import Any, Callable

from . import _native
from ._exceptions import APIConnectionError

_Settle = Callable[[bool, Any], None]


def _resolve(future: "asyncio.Future[Any]", ok: bool, value: Any) -> None:
    if not future.done():
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


# The futures awaiting a native call, so that a forked child can fail those it inherits.
_in_flight: "weakref.WeakSet[asyncio.Future[Any]]" = weakref.WeakSet()


def _fail_inherited() -> None:
    """In a forked child: a native call in flight at the fork runs in the parent's runtime and
    would never settle here, so whatever awaits it gets an error at once instead of a hang."""
    for future in list(_in_flight):
        _resolve(
            future,
            False,
            APIConnectionError(
                "the request was in flight when the process forked: it belongs to the parent "
                "process and cannot finish in this one; make the call again"
            ),
        )


os.register_at_fork(after_in_child=_fail_inherited)


async def _call(start: Callable[[_Settle], _native.NativeTask]) -> Any:
    """Awaits a native call. The runtime settles the future through the loop's thread-safe door;
    cancelling the awaiting task cancels the native call (its request and retries)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    _in_flight.add(future)

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
