"""`Client` and `AsyncClient`: the Pythonic face of the Rust core."""

from __future__ import annotations

import asyncio
import datetime
import enum
from typing import Any, AsyncIterator, Callable, Generic, Iterator, List, Mapping, Optional, Tuple, TypeVar, Union

from . import _native
from ._enums import CallStatus, CallType
from ._exceptions import ConfigError

DateLike = Union[datetime.date, datetime.datetime, str]
"""A `date` (a whole UTC day), a `datetime` (naive means UTC) or an ISO 8601 string."""

_Pairs = List[Tuple[str, str]]
_Query = Tuple[_Pairs, _Pairs, _Pairs]

CallLog = _native.CallLog


def records_from_json(body: bytes) -> List[CallLog]:
    """The records of a page body as the endpoint sends it (a saved response, a proxy's cache)."""
    return _native.records_from_json(body)


def _text(value: object) -> str:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _query(
    page: Optional[int],
    page_size: Optional[int],
    start_date: Optional[DateLike],
    end_date: Optional[DateLike],
    call_type: Union[CallType, str, None],
    call_status: Union[CallStatus, str, None],
    extra_query: Optional[Mapping[str, str]],
    extra_headers: Optional[Mapping[str, str]],
) -> _Query:
    given = (
        ("page", page),
        ("page_size", page_size),
        ("start_date", start_date),
        ("end_date", end_date),
        ("call_type", call_type),
        ("call_status", call_status),
    )
    pairs = [(name, _text(value)) for name, value in given if value is not None]
    return pairs, _items("extra_query", extra_query), _items("extra_headers", extra_headers)


def _items(setting: str, mapping: Optional[Mapping[str, str]]) -> _Pairs:
    if mapping is None:
        return []
    if not isinstance(mapping, Mapping):
        raise ConfigError(f"{setting} must be a mapping of names to values (got {type(mapping).__name__})")
    return [(str(name), str(value)) for name, value in mapping.items()]


_NO_QUERY: _Query = ([], [], [])

_T = TypeVar("_T")
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


class CallLogPage:
    """One page: `.count` (all matching records), `.data`, `.page`, `.page_size`.

    Iterating a page walks every record from this page to the last one, fetching as it goes.
    """

    def __init__(self, client: _native.NativeClient, native: _native.NativePage) -> None:
        self._client = client
        self._native = native
        self.count: int = native.count
        self.status_code: int = native.status_code
        self.message: str = native.message
        self.page: int = native.page
        self.page_size: int = native.page_size
        self.data: List[CallLog] = native.records()

    def has_next_page(self) -> bool:
        """Whether a page follows this one."""
        return self._native.has_next_page()

    def next_page(self) -> Optional[CallLogPage]:
        """The next page, or `None` after the last."""
        native = self._client.next_page(self._native)
        return None if native is None else CallLogPage(self._client, native)

    def __iter__(self) -> Iterator[CallLog]:
        yield from self.data
        yield from _walk(self._client.pager(_NO_QUERY, None, True, self._native))

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"CallLogPage(count={self.count}, page={self.page}, page_size={self.page_size}, data=[{len(self.data)} records])"


class AsyncCallLogPage(CallLogPage):
    """A page of an `AsyncClient`: `await page.next_page()`, `async for log in page`."""

    async def next_page(self) -> Optional[AsyncCallLogPage]:  # type: ignore[override]
        """The next page, or `None` after the last."""
        native = await _call(lambda settle: self._client.next_page_async(self._native, settle))
        return None if native is None else AsyncCallLogPage(self._client, native)

    def __iter__(self) -> Iterator[CallLog]:
        """The records of this page only (use `async for` to walk on)."""
        return iter(self.data)

    async def __aiter__(self) -> AsyncIterator[CallLog]:
        for record in self.data:
            yield record
        async for record in _walk_async(self._client.pager(_NO_QUERY, None, True, self._native)):
            yield record


class CallLogs:
    """`client.call_logs`: one page, an iterator over all pages, or everything at once."""

    def __init__(self, client: _native.NativeClient) -> None:
        self._client = client

    def list(
        self,
        *,
        page: Optional[int] = None,
        page_size: Optional[int] = None,
        start_date: Optional[DateLike] = None,
        end_date: Optional[DateLike] = None,
        call_type: Union[CallType, str, None] = None,
        call_status: Union[CallStatus, str, None] = None,
        extra_query: Optional[Mapping[str, str]] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> CallLogPage:
        """One request: the page the filters ask for.

        `extra_query` adds parameters the API does not define (records are not checked against
        them); `extra_headers` adds headers to this call's requests.
        """
        query = _query(page, page_size, start_date, end_date, call_type, call_status, extra_query, extra_headers)
        return CallLogPage(self._client, self._client.list(query))

    def iter(
        self,
        *,
        page_size: int = _native.DEFAULT_WALK_PAGE_SIZE,
        limit: Optional[int] = None,
        start_date: Optional[DateLike] = None,
        end_date: Optional[DateLike] = None,
        call_type: Union[CallType, str, None] = None,
        call_status: Union[CallStatus, str, None] = None,
        extra_query: Optional[Mapping[str, str]] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> Iterator[CallLog]:
        """Every matching record, page after page, in constant memory; at most `limit`."""
        query = _query(None, page_size, start_date, end_date, call_type, call_status, extra_query, extra_headers)
        pager = self._client.pager(query, limit, True)
        return _walk(pager)

    def all(
        self,
        *,
        concurrency: int = _native.DEFAULT_CONCURRENCY,
        page_size: int = _native.DEFAULT_WALK_PAGE_SIZE,
        start_date: Optional[DateLike] = None,
        end_date: Optional[DateLike] = None,
        call_type: Union[CallType, str, None] = None,
        call_status: Union[CallStatus, str, None] = None,
        extra_query: Optional[Mapping[str, str]] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> List[CallLog]:
        """Every matching record in server order; pages after the first are fetched concurrently."""
        query = _query(None, page_size, start_date, end_date, call_type, call_status, extra_query, extra_headers)
        return self._client.all(query, concurrency)


def _walk(pager: _native.NativePager) -> Iterator[CallLog]:
    """The records of a walk; leaving it early (`break`, an exception) drops its read-ahead."""
    try:
        while True:
            records = pager.next_page()
            if records is None:
                return
            yield from records
    finally:
        pager.close()


async def _walk_async(pager: _native.NativePager) -> AsyncIterator[CallLog]:
    """`_walk` for `async for`; cancelling the task stops the request in flight."""
    try:
        while True:
            records = await _call(pager.next_page_async)
            if records is None:
                return
            for record in records:
                yield record
    finally:
        pager.close()


class AsyncCallLogs:
    """`client.call_logs` of an `AsyncClient`."""

    def __init__(self, client: _native.NativeClient) -> None:
        self._client = client

    async def list(
        self,
        *,
        page: Optional[int] = None,
        page_size: Optional[int] = None,
        start_date: Optional[DateLike] = None,
        end_date: Optional[DateLike] = None,
        call_type: Union[CallType, str, None] = None,
        call_status: Union[CallStatus, str, None] = None,
        extra_query: Optional[Mapping[str, str]] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> AsyncCallLogPage:
        """One request: the page the filters ask for.

        `extra_query` adds parameters the API does not define (records are not checked against
        them); `extra_headers` adds headers to this call's requests.
        """
        query = _query(page, page_size, start_date, end_date, call_type, call_status, extra_query, extra_headers)
        native = await _call(lambda settle: self._client.list_async(query, settle))
        return AsyncCallLogPage(self._client, native)

    def iter(
        self,
        *,
        page_size: int = _native.DEFAULT_WALK_PAGE_SIZE,
        limit: Optional[int] = None,
        start_date: Optional[DateLike] = None,
        end_date: Optional[DateLike] = None,
        call_type: Union[CallType, str, None] = None,
        call_status: Union[CallStatus, str, None] = None,
        extra_query: Optional[Mapping[str, str]] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> AsyncIterator[CallLog]:
        """Every matching record, for `async for`; at most `limit`."""
        query = _query(None, page_size, start_date, end_date, call_type, call_status, extra_query, extra_headers)
        return _walk_async(self._client.pager(query, limit, True))

    async def all(
        self,
        *,
        concurrency: int = _native.DEFAULT_CONCURRENCY,
        page_size: int = _native.DEFAULT_WALK_PAGE_SIZE,
        start_date: Optional[DateLike] = None,
        end_date: Optional[DateLike] = None,
        call_type: Union[CallType, str, None] = None,
        call_status: Union[CallStatus, str, None] = None,
        extra_query: Optional[Mapping[str, str]] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> List[CallLog]:
        """Every matching record in server order; pages after the first are fetched concurrently."""
        query = _query(None, page_size, start_date, end_date, call_type, call_status, extra_query, extra_headers)
        records: List[CallLog] = await _call(lambda settle: self._client.all_async(query, concurrency, settle))
        return records


_Resources = TypeVar("_Resources", "CallLogs", "AsyncCallLogs")


class _BaseClient(Generic[_Resources]):
    _resources: Callable[[_native.NativeClient], _Resources]

    def __init__(
        self,
        token: Optional[str] = None,
        org_handle: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        timeout: float = _native.DEFAULT_TIMEOUT,
        max_retries: int = _native.DEFAULT_MAX_RETRIES,
        headers: Optional[Mapping[str, str]] = None,
        verify_filters: bool = True,
    ) -> None:
        self._native = _native.NativeClient(
            token, org_handle, base_url, timeout, max_retries, _items("headers", headers), "python", verify_filters
        )
        self.call_logs: _Resources = type(self)._resources(self._native)

    @property
    def endpoint(self) -> str:
        """The endpoint's URL."""
        return self._native.endpoint

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.endpoint!r}, token='***')"


class Client(_BaseClient[CallLogs]):
    """A client of the call-logs endpoint.

    `token`, `org_handle` and `base_url` fall back to `UNPOD_PLATFORM_TOKEN`, `UNPOD_ORG_HANDLE` and
    `UNPOD_BASE_URL` (default `https://unpod.dev`). `timeout` is in seconds per attempt; failed
    requests are retried `max_retries` times. `headers` are sent with every request (e.g.
    `{"Product-Id": "unpod.ai"}`). The token never appears in a `repr`, a log line or an error.

    Every record received is checked against the filters sent; a record outside them raises
    `ServerContractError` naming the filter the server did not apply. `verify_filters=False` turns
    that off (and says so once on the `unpod_calllogs` logger), for a server known to ignore one.
    """

    _resources = CallLogs

    def close(self) -> None:
        """Nothing to release eagerly: connections close when the client is collected."""

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClient(_BaseClient[AsyncCallLogs]):
    """`Client` for asyncio: the same surface, awaited; it runs on the caller's event loop."""

    _resources = AsyncCallLogs

    async def close(self) -> None:
        """Nothing to release eagerly: connections close when the client is collected."""

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


__all__ = ["AsyncCallLogPage", "AsyncClient", "CallLog", "CallLogPage", "Client", "DateLike", "records_from_json"]
