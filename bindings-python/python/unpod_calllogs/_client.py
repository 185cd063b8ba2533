"""`Client` and `AsyncClient`: the Pythonic face of the Rust core."""

from __future__ import annotations

import datetime
import enum
import json
import os
import threading
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Callable,
    Dict,
    Generic,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Tuple,
    TypedDict,
    TypeVar,
    Union,
)

from . import _native
from ._bridge import _call
from ._dataout import CallLogTable, ExportDestination, _Export, _export, _export_async
from ._enums import CallStatus, CallType
from ._exceptions import ConfigError
from ._sync import Destination, Progress, SyncSummary, _listener, _Listening, _settings

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

Dialect = Literal["contract", "unpod-v2"]
"""How to speak to a server known to differ from the contract (`_native.DIALECTS`)."""

EventName = Literal["request", "response", "retry", "warning"]
"""The events a client tells its listeners of (`_native.EVENTS`)."""

DateLike = Union[datetime.date, datetime.datetime, str]
"""A `date` (a whole UTC day), a `datetime` (naive means UTC) or an ISO 8601 string."""

CallTypeLike = Union[CallType, Literal["inbound", "outbound"]]
"""A `call_type` filter: a `CallType` member or its value."""

CallStatusLike = Union[CallStatus, Literal["completed", "missed", "failed", "no-answer"]]
"""A `call_status` filter: a `CallStatus` member or its value (`CallStatus("busy")` for a value the
API does not document)."""

ExportFormat = Literal["csv", "ndjson"]
"""A text format for `export`: CSV (RFC 4180, documented columns then `extra`) or NDJSON."""

CallLog = _native.CallLog


class CallLogFilters(TypedDict, total=False):
    """The API's filters, accepted as keyword arguments by every method of `call_logs`."""

    start_date: Optional[DateLike]
    """Only calls created at or after this instant (a date: from the start of that UTC day)."""
    end_date: Optional[DateLike]
    """Only calls created at or before this instant (a date: to the end of that UTC day)."""
    call_type: Optional[CallTypeLike]
    """Only calls in this direction."""
    call_status: Optional[CallStatusLike]
    """Only calls with this outcome."""


class RequestOptions(TypedDict, total=False):
    """Settings of one call, accepted as keyword arguments by every method of `call_logs`."""

    extra_query: Optional[Mapping[str, str]]
    """Parameters the API does not define, sent as given (records are not checked against them)."""
    extra_headers: Optional[Mapping[str, str]]
    """Headers for this call's requests (neither `Authorization` nor `Org-Handle`)."""
    timeout: Optional[float]
    """Seconds allowed for each attempt of this call's requests, instead of the client's."""
    max_retries: Optional[int]
    """Retries of this call's requests, instead of the client's."""


class CallLogParams(CallLogFilters, RequestOptions, total=False):
    """The filters and the per-call settings together: the keyword arguments of `call_logs` methods."""


_PARAMS = CallLogParams.__required_keys__ | CallLogParams.__optional_keys__

_Pairs = List[Tuple[str, str]]
_Query = Tuple[_Pairs, _Pairs, _Pairs, Optional[float], Optional[int]]


def records_from_json(body: bytes) -> List[CallLog]:
    """The records of a page body as the endpoint sends it (a saved response, a proxy's cache)."""
    return _native.records_from_json(body)


def _text(value: object) -> str:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _query(method: str, page: Optional[int], page_size: Optional[int], params: Mapping[str, Any]) -> _Query:
    unknown = sorted(set(params) - _PARAMS)
    if unknown:
        raise TypeError(f"call_logs.{method}() got an unexpected keyword argument {unknown[0]!r}")
    given = {**params, "page": page, "page_size": page_size}
    pairs = [(name, _text(given[name])) for name in _native.PARAMETERS if given.get(name) is not None]
    return (
        pairs,
        _items("extra_query", params.get("extra_query")),
        _items("extra_headers", params.get("extra_headers")),
        params.get("timeout"),
        params.get("max_retries"),
    )


def _items(setting: str, mapping: Optional[Mapping[str, str]]) -> _Pairs:
    if mapping is None:
        return []
    if not isinstance(mapping, Mapping):
        raise ConfigError(f"{setting} must be a mapping of names to values (got {type(mapping).__name__})")
    return [(str(name), str(value)) for name, value in mapping.items()]


_NO_QUERY: _Query = ([], [], [], None, None)

_T = TypeVar("_T")


@dataclass(frozen=True)
class Response:
    """The HTTP answer that carried a page (`page.response`)."""

    status_code: int
    """The HTTP status."""
    headers: Dict[str, str]
    """The headers, names in lower case; a header sent twice has its values joined by `, `. Any
    occurrence of the token in a value is replaced by `***`."""
    request_id: Optional[str]
    """The `X-Request-Id` (or `Request-Id`) header, to quote to the server's operators."""
    retries: int
    """The retries it took (0 when the first attempt succeeded)."""
    elapsed: datetime.timedelta
    """From sending the successful attempt to the end of its body."""

    @classmethod
    def _of(cls, native: _native.NativePage) -> Response:
        status, pairs, request_id, retries, elapsed = native.response()
        headers: Dict[str, str] = {}
        for name, value in pairs:
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return cls(status, headers, request_id, retries, datetime.timedelta(seconds=elapsed))


class CallLogPage:
    """One page: `.count` (all matching records), `.data`, `.page`, `.page_size`, `.response`.

    Iterating a page walks every record from this page to the last one, fetching as it goes.
    """

    count: int
    """How many records match the filters, across all pages."""
    page: int
    """This page's number, from 1."""
    page_size: int
    """The page size the server served: smaller than asked when it caps or defaults silently."""
    data: List[CallLog]
    """This page's records, newest first."""
    status_code: int
    """The status repeated in the body."""
    message: str
    """The server's message, e.g. `Call logs fetched successfully`."""
    response: Response
    """The HTTP answer that carried the page: status, headers, request id."""

    def __init__(self, client: _native.NativeClient, native: _native.NativePage) -> None:
        self._client = client
        self._native = native
        self.count = native.count
        self.status_code = native.status_code
        self.message = native.message
        self.page = native.page
        self.page_size = native.page_size
        self.data = native.records()
        self.response = Response._of(native)

    def has_next_page(self) -> bool:
        """Whether a page follows this one."""
        return self._native.has_next_page()

    def next_page(self) -> Optional[CallLogPage]:
        """The next page, or `None` after the last."""
        native = self._client.next_page(self._native)
        return None if native is None else CallLogPage(self._client, native)

    def __iter__(self) -> Iterator[CallLog]:
        yield from self.data
        yield from _walk(self._client.pager(_NO_QUERY, None, _native.DEFAULT_PREFETCH, self._native))

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
        async for record in _walk_async(self._client.pager(_NO_QUERY, None, _native.DEFAULT_PREFETCH, self._native)):
            yield record


class CallLogs:
    """`client.call_logs`: one page, an iterator over all pages, everything at once, a file, or
    Arrow columns. Every method takes the filters and per-call settings of `CallLogParams`."""

    def __init__(self, client: _native.NativeClient) -> None:
        self._client = client

    def list(
        self, *, page: Optional[int] = None, page_size: Optional[int] = None, **params: Unpack[CallLogParams]
    ) -> CallLogPage:
        """One request: the page the filters ask for."""
        return CallLogPage(self._client, self._client.list(_query("list", page, page_size, params)))

    def iter(
        self,
        *,
        page_size: int = _native.DEFAULT_WALK_PAGE_SIZE,
        limit: Optional[int] = None,
        prefetch: int = _native.DEFAULT_PREFETCH,
        **params: Unpack[CallLogParams],
    ) -> Iterator[CallLog]:
        """Every matching record in server order, in memory bounded by the window: at most `limit`.

        `prefetch` pages (default 4, the concurrency of `all`) are requested while one is read,
        so that round trips overlap; 0 fetches one page at a time. Leaving the loop early (`break`,
        an exception, Ctrl-C) aborts every request in flight."""
        return _walk(self._client.pager(_query("iter", None, page_size, params), limit, prefetch))

    def all(
        self,
        *,
        concurrency: int = _native.DEFAULT_CONCURRENCY,
        page_size: int = _native.DEFAULT_WALK_PAGE_SIZE,
        limit: Optional[int] = None,
        progress: Progress = None,
        **params: Unpack[CallLogParams],
    ) -> List[CallLog]:
        """Every matching record in server order, at most `limit`; pages after the first are fetched
        `concurrency` at a time, each checked as `iter` checks it. `progress=True` shows a bar
        (tqdm), or a callable receives each page's progress as a dict."""
        query = _query("all", None, page_size, params)
        with _Listening(progress, "all") as listener:
            return self._client.all(query, concurrency, limit, listener)

    def export(
        self,
        destination: ExportDestination,
        *,
        format: Optional[ExportFormat] = None,
        page_size: int = _native.DEFAULT_WALK_PAGE_SIZE,
        limit: Optional[int] = None,
        prefetch: int = _native.DEFAULT_PREFETCH,
        resume: bool = False,
        progress: Progress = None,
        **params: Unpack[CallLogParams],
    ) -> int:
        """Writes every matching record to a path or a binary file, page by page in constant
        memory, as CSV or NDJSON (`format`, else from the path's suffix: `.csv`, `.ndjson`,
        `.jsonl`), with `prefetch` pages requested ahead as `iter` does. Returns the number of
        records written.

        A path is written complete or not at all: the records go to `PATH.partial` and the file is
        renamed into place once whole. An export that stops raises its error with `rows_written`
        (the records in the partial file) and `partial` (its path) set; `resume=True` continues
        it, exactly, with the same filters. `progress=True` shows a bar (tqdm), or a callable
        receives each page's progress as a dict (`records`, `total`, `requests`, `down_to`)."""
        query = _query("export", None, page_size, params)
        return _export(_Export(self._client, query, limit, prefetch, format, destination, resume, progress))

    def to_arrow(
        self,
        *,
        concurrency: int = _native.DEFAULT_CONCURRENCY,
        page_size: int = _native.DEFAULT_WALK_PAGE_SIZE,
        limit: Optional[int] = None,
        progress: Progress = None,
        **params: Unpack[CallLogParams],
    ) -> CallLogTable:
        """Every matching record (fetched as `all` does) as Arrow columns: `.to_pandas()`,
        `.to_polars()`, `.to_pyarrow()`, or any reader of the Arrow PyCapsule interface.
        `progress` as for `all`."""
        query = _query("to_arrow", None, page_size, params)
        with _Listening(progress, "to_arrow") as listener:
            return CallLogTable(self._client.table(query, concurrency, limit, listener))


    def sync(
        self,
        destination: Destination,
        *,
        table: Optional[str] = None,
        settle: Optional[float] = None,
        lookback: Optional[float] = None,
        max_records: Optional[int] = None,
        max_pages: Optional[int] = None,
        page_size: Optional[int] = None,
        window: Optional[float] = None,
        until: Optional[DateLike] = None,
        prefetch: Optional[int] = None,
        progress: Progress = None,
        **params: Unpack[CallLogParams],
    ) -> SyncSummary:
        """Keeps a table of the matching records in step in `destination` (a file path: an
        embedded SQLite database; `postgresql://...`; `parquet:DIR`: day-partitioned Parquet)
        and returns what the run did. Resumable and exactly once: each
        window of `creation_time` is written in one transaction with the state that lets the next
        run go on, so a process killed at any moment loses and duplicates nothing. A run covers up
        to `settle` seconds before now, reads `lookback` seconds before the last run's end again
        (calls whose logs arrive late), and sizes its windows so that none holds more than
        `max_records` records or takes more than `max_pages` pages. `start_date` is the oldest
        instant ever synced; `end_date` is not a filter of a sync. `progress=True` shows a bar
        (tqdm), or a callable receives each window's progress as a dict."""
        run = _Sync(destination, params, progress, locals())
        with run:
            return SyncSummary._of(self._client.sync(run.path, run.query, run.settings, run.listener))


class _Sync:
    """The arguments of a `sync` call as the native client takes them, and the progress bar to
    close when it ends (a context manager)."""

    def __init__(
        self, destination: Destination, params: Mapping[str, Any], progress: Progress, given: Mapping[str, Any]
    ) -> None:
        self.path = os.fspath(destination)
        self.query = _query("sync", None, None, params)
        self.settings = _settings(**{name: given[name] for name in _native.SYNC_SETTINGS})
        self.listener, self._bar = _listener(progress, "sync")

    def __enter__(self) -> _Sync:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.close()


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
    """`client.call_logs` of an `AsyncClient`: the methods of `CallLogs`, awaited."""

    def __init__(self, client: _native.NativeClient) -> None:
        self._client = client

    async def list(
        self, *, page: Optional[int] = None, page_size: Optional[int] = None, **params: Unpack[CallLogParams]
    ) -> AsyncCallLogPage:
        """One request: the page the filters ask for."""
        query = _query("list", page, page_size, params)
        native = await _call(lambda settle: self._client.list_async(query, settle))
        return AsyncCallLogPage(self._client, native)

    def iter(
        self,
        *,
        page_size: int = _native.DEFAULT_WALK_PAGE_SIZE,
        limit: Optional[int] = None,
        prefetch: int = _native.DEFAULT_PREFETCH,
        **params: Unpack[CallLogParams],
    ) -> AsyncIterator[CallLog]:
        """`CallLogs.iter` for `async for`; cancelling the task aborts every request in flight."""
        return _walk_async(self._client.pager(_query("iter", None, page_size, params), limit, prefetch))

    async def all(
        self,
        *,
        concurrency: int = _native.DEFAULT_CONCURRENCY,
        page_size: int = _native.DEFAULT_WALK_PAGE_SIZE,
        limit: Optional[int] = None,
        progress: Progress = None,
        **params: Unpack[CallLogParams],
    ) -> List[CallLog]:
        """`CallLogs.all`, awaited."""
        query = _query("all", None, page_size, params)
        with _Listening(progress, "all") as listener:
            records: List[CallLog] = await _call(
                lambda settle: self._client.all_async(query, concurrency, limit, listener, settle)
            )
            return records

    async def export(
        self,
        destination: ExportDestination,
        *,
        format: Optional[ExportFormat] = None,
        page_size: int = _native.DEFAULT_WALK_PAGE_SIZE,
        limit: Optional[int] = None,
        prefetch: int = _native.DEFAULT_PREFETCH,
        resume: bool = False,
        progress: Progress = None,
        **params: Unpack[CallLogParams],
    ) -> int:
        """`CallLogs.export`, awaited: the number of records written."""
        query = _query("export", None, page_size, params)
        return await _export_async(_Export(self._client, query, limit, prefetch, format, destination, resume, progress))

    async def to_arrow(
        self,
        *,
        concurrency: int = _native.DEFAULT_CONCURRENCY,
        page_size: int = _native.DEFAULT_WALK_PAGE_SIZE,
        limit: Optional[int] = None,
        progress: Progress = None,
        **params: Unpack[CallLogParams],
    ) -> CallLogTable:
        """`CallLogs.to_arrow`, awaited."""
        query = _query("to_arrow", None, page_size, params)
        with _Listening(progress, "to_arrow") as listener:
            native = await _call(lambda settle: self._client.table_async(query, concurrency, limit, listener, settle))
            return CallLogTable(native)


    async def sync(
        self,
        destination: Destination,
        *,
        table: Optional[str] = None,
        settle: Optional[float] = None,
        lookback: Optional[float] = None,
        max_records: Optional[int] = None,
        max_pages: Optional[int] = None,
        page_size: Optional[int] = None,
        window: Optional[float] = None,
        until: Optional[DateLike] = None,
        prefetch: Optional[int] = None,
        progress: Progress = None,
        **params: Unpack[CallLogParams],
    ) -> SyncSummary:
        """`CallLogs.sync`, awaited; cancelling the task stops the run after the window being
        written, which the next run goes on from."""
        run = _Sync(destination, params, progress, locals())
        with run:
            summary: str = await _call(
                lambda settle: self._client.sync_async(run.path, run.query, run.settings, run.listener, settle)
            )
            return SyncSummary._of(summary)


_Resources = TypeVar("_Resources", "CallLogs", "AsyncCallLogs")


class _Listeners:
    """The listeners of a client and its copies, by event; the native client hands each event to
    `deliver` as JSON."""

    def __init__(self) -> None:
        self._by_event: Dict[str, List[Callable[[Dict[str, Any]], object]]] = {}
        self._lock = threading.Lock()

    def _check(self, event: str) -> str:
        if event not in _native.EVENTS:
            raise ConfigError(f"a client has no event named {event!r} (it has {', '.join(_native.EVENTS)})")
        return event

    def add(self, event: str, listener: Callable[[Dict[str, Any]], object]) -> None:
        if not callable(listener):
            raise ConfigError(f"an event listener must be callable (got {type(listener).__name__})")
        with self._lock:
            self._by_event.setdefault(self._check(event), []).append(listener)

    def remove(self, event: str, listener: Callable[[Dict[str, Any]], object]) -> None:
        with self._lock:
            listeners = self._by_event.get(self._check(event), [])
            if listener in listeners:
                listeners.remove(listener)

    def any(self) -> bool:
        with self._lock:
            return any(self._by_event.values())

    def deliver(self, details_json: str) -> None:
        details = json.loads(details_json)
        with self._lock:
            listeners = list(self._by_event.get(details.pop("name"), ()))
        for listener in listeners:
            listener(details)


class _BaseClient(Generic[_Resources]):
    _resources: Callable[[_native.NativeClient], _Resources]
    call_logs: _Resources
    """The call-logs resource."""

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
        ca_file: Optional[Union[str, os.PathLike[str]]] = None,
        dialect: Optional[Dialect] = None,
    ) -> None:
        listeners = _Listeners()
        self._adopt(
            _native.NativeClient(
                token,
                org_handle,
                base_url,
                timeout,
                max_retries,
                _items("headers", headers),
                "python",
                verify_filters,
                None if ca_file is None else os.fspath(ca_file),
                dialect,
                listeners.deliver,
            ),
            listeners,
        )

    def _adopt(self, native: _native.NativeClient, listeners: _Listeners) -> None:
        self._native: _native.NativeClient = native
        self._listeners = listeners
        self.call_logs = type(self)._resources(native)

    def on(self, event: EventName, listener: Callable[[Dict[str, Any]], object]) -> Self:
        """Calls `listener(details)` on each `request`, `response`, `retry` or `warning` of this
        client and of its `with_options` copies. The details are a dict (`url`, `attempt`,
        `status`, `request_id`, `elapsed` and `delay` in seconds, `error`, `message`), never holding
        the token. Listeners run on the library's own thread, for metrics and tracing: keep them
        quick (an `AsyncClient`'s hand over with `loop.call_soon_threadsafe`); an exception from
        one is reported by `sys.unraisablehook`."""
        self._listeners.add(event, listener)
        self._native.listen(True)
        return self

    def off(self, event: EventName, listener: Callable[[Dict[str, Any]], object]) -> Self:
        """Removes a listener added with `on`."""
        self._listeners.remove(event, listener)
        self._native.listen(self._listeners.any())
        return self

    def with_options(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        headers: Optional[Mapping[str, str]] = None,
        verify_filters: Optional[bool] = None,
    ) -> Self:
        """A copy of this client with the settings given changed (`headers` are added); it shares
        this client's connections. E.g. `client.with_options(timeout=300).call_logs.all()`."""
        copy = object.__new__(type(self))
        native = self._native.with_options(timeout, max_retries, _items("headers", headers), verify_filters)
        copy._adopt(native, self._listeners)
        return copy

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

    `dialect="unpod-v2"` (or `UNPOD_DIALECT`) reads the real Unpod v2 server correctly: it ignores
    `start_date`/`end_date`, so walks (`iter`, `all`, `export`, `to_arrow`) apply them, reading the
    newest records down to `start_date`, and `Product-Id: unpod.ai` is sent unless set.

    `ca_file` names a PEM file of certificates to trust besides the system's (a private CA, or a
    server's own self-signed certificate); unset, `UNPOD_CA_FILE` or `REQUESTS_CA_BUNDLE` name
    one. A certificate the client does not trust fails at once, unretried.
    """

    _resources = CallLogs

    def close(self) -> None:
        """Closes the connections of this client and of its `with_options` copies (idle ones now,
        those of a walk in progress when it ends); later calls raise `ConfigError`."""
        self._native.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClient(_BaseClient[AsyncCallLogs]):
    """`Client` for asyncio: the same surface, awaited; it runs on the caller's event loop."""

    _resources = AsyncCallLogs

    async def close(self) -> None:
        """`Client.close`."""
        self._native.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


__all__ = [
    "Dialect",
    "EventName",
    "AsyncCallLogPage",
    "AsyncClient",
    "CallLog",
    "CallLogFilters",
    "CallLogPage",
    "CallLogParams",
    "CallLogTable",
    "CallStatusLike",
    "CallTypeLike",
    "Client",
    "DateLike",
    "ExportFormat",
    "RequestOptions",
    "Response",
    "records_from_json",
]
