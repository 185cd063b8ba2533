"""The native module: adapters to the Rust core. Use the public API of `unpod_calllogs` instead."""

import datetime
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from typing_extensions import final

from ._enums import CallStatus, CallType

_Pairs = List[Tuple[str, str]]
_Query = Tuple[_Pairs, _Pairs, _Pairs, Optional[float], Optional[int]]
_Settle = Callable[[bool, Any], None]

__all__ = [
    "__version__",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_WALK_PAGE_SIZE",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PREFETCH",
    "MAX_RETRIES",
    "MAX_PAGE_SIZE",
    "MAX_CONCURRENCY",
    "CALL_TYPES",
    "CALL_STATUSES",
    "ERROR_KINDS",
    "VIOLATION_KINDS",
    "PARAMETERS",
    "DIALECTS",
    "EVENTS",
    "EVENT_DURATION_KEYS",
    "RECORD_FIELDS",
    "RECORD_FIELD_KINDS",
    "SYNC_SETTINGS",
    "SYNC_DURATIONS",
    "SYNC_DEFAULTS",
    "SYNC_SUMMARY_FIELDS",
    "REFERENCE_OPTIONS",
    "NativeClient",
    "NativePage",
    "NativePager",
    "NativeBatches",
    "NativeReferenceServer",
    "NativeTask",
    "NativeTable",
    "NativeExporter",
    "CallLog",
    "records_from_json",
    "run_cli",
    "run_user_cli",
]

__version__: str
DEFAULT_TIMEOUT: float
DEFAULT_MAX_RETRIES: int
DEFAULT_WALK_PAGE_SIZE: int
DEFAULT_CONCURRENCY: int
DEFAULT_PREFETCH: int
MAX_RETRIES: int
MAX_PAGE_SIZE: int
MAX_CONCURRENCY: int
CALL_TYPES: List[str]
CALL_STATUSES: List[str]
ERROR_KINDS: List[str]
VIOLATION_KINDS: List[str]
PARAMETERS: List[str]
DIALECTS: List[str]
EVENTS: List[str]
EVENT_DURATION_KEYS: List[str]
RECORD_FIELDS: List[str]
RECORD_FIELD_KINDS: Dict[str, str]
SYNC_SETTINGS: List[str]
SYNC_DURATIONS: List[str]
SYNC_DEFAULTS: Dict[str, Any]
SYNC_SUMMARY_FIELDS: List[str]
REFERENCE_OPTIONS: List[str]

@final
class CallLog:
    """One call. Times are aware UTC `datetime`s; `call_type` / `call_status` are `CallType` /
    `CallStatus` members (unknown values kept); `extra` holds fields this version does not know."""

    @property
    def source_number(self) -> Optional[str]:
        """The number that initiated the call (E.164), or `None`."""
    @property
    def destination_number(self) -> Optional[str]:
        """The number that received the call (E.164), or `None`."""
    @property
    def call_type(self) -> CallType:
        """`CallType.INBOUND`, `CallType.OUTBOUND`, or another value kept as sent."""
    @property
    def call_status(self) -> CallStatus:
        """A `CallStatus` member, or another value kept as sent."""
    @property
    def creation_time(self) -> datetime.datetime:
        """When the call was created (aware, UTC); records come newest first."""
    @property
    def start_time(self) -> Optional[datetime.datetime]:
        """When the call was answered (aware, UTC), or `None`."""
    @property
    def end_time(self) -> Optional[datetime.datetime]:
        """When the call ended (aware, UTC), or `None`."""
    @property
    def call_duration(self) -> Union[int, float]:
        """Seconds from start to end: an `int`, or a `float` when the server sent a fraction."""
    @property
    def end_reason(self) -> Optional[str]:
        """Why the call ended, e.g. `caller_hangup`, or `None`."""
    @property
    def extra(self) -> Dict[str, Any]:
        """Fields this version does not know, as sent."""
    def to_dict(self) -> Dict[str, Any]:
        """Every field as a `dict`: the documented ones first, in their documented order, then the
        unknown ones in name order (times as `datetime`s)."""
    def to_json(self) -> str:
        """The record as the endpoint writes it, in JSON."""
    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...

@final
class NativePage:
    @property
    def count(self) -> int: ...
    @property
    def status_code(self) -> int: ...
    @property
    def message(self) -> str: ...
    @property
    def page(self) -> int: ...
    @property
    def page_size(self) -> int: ...
    def records(self) -> List[CallLog]: ...
    def has_next_page(self) -> bool: ...
    def response(self) -> Tuple[int, List[Tuple[str, str]], Optional[str], int, float]: ...

def records_from_json(body: bytes) -> List[CallLog]: ...

@final
class NativeTask:
    def cancel(self) -> None: ...

@final
class NativePager:
    def next_page(self) -> Optional[List[CallLog]]: ...
    def next_page_async(self, settle: _Settle) -> NativeTask: ...
    def close(self) -> None: ...

@final
class NativeBatches:
    def next_batch(self) -> Optional[Tuple[NativeTable, str]]: ...
    def finish(self) -> str: ...
    def close(self) -> None: ...

@final
class NativeExporter:
    def next_chunk(self) -> Optional[Tuple[int, bytes]]: ...
    def next_chunk_async(self, settle: _Settle) -> NativeTask: ...
    def progress(self) -> Optional[str]: ...
    def close(self) -> None: ...

@final
class NativeTable:
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def __len__(self) -> int: ...

@final
class NativeClient:
    def __new__(
        cls,
        token: Optional[str],
        org_handle: Optional[str],
        base_url: Optional[str],
        timeout: Optional[float],
        max_retries: Optional[int],
        headers: List[Tuple[str, str]],
        binding: str,
        verify_filters: bool,
        ca_file: Optional[str],
        dialect: Optional[str],
        events: Callable[[str], None],
    ) -> NativeClient: ...
    @property
    def endpoint(self) -> str: ...
    def listen(self, listening: bool) -> None: ...
    def close(self) -> None: ...
    def with_options(
        self,
        timeout: Optional[float],
        max_retries: Optional[int],
        headers: List[Tuple[str, str]],
        verify_filters: Optional[bool],
    ) -> NativeClient: ...
    def list(self, query: _Query) -> NativePage: ...
    def list_async(self, query: _Query, settle: _Settle) -> NativeTask: ...
    def next_page(self, after: NativePage) -> Optional[NativePage]: ...
    def next_page_async(self, after: NativePage, settle: _Settle) -> NativeTask: ...
    def pager(
        self, query: _Query, limit: Optional[int], prefetch: int, after: Optional[NativePage] = None
    ) -> NativePager: ...
    def all(
        self, query: _Query, concurrency: int, limit: Optional[int], progress: Optional[Callable[[str], None]] = None
    ) -> List[CallLog]: ...
    def all_async(
        self, query: _Query, concurrency: int, limit: Optional[int], progress: Optional[Callable[[str], None]], settle: _Settle
    ) -> NativeTask: ...
    def exporter(
        self, query: _Query, limit: Optional[int], prefetch: int, format: Optional[str], path: Optional[str]
    ) -> NativeExporter: ...
    def export_file(
        self,
        query: _Query,
        limit: Optional[int],
        prefetch: int,
        format: Optional[str],
        path: str,
        resume: bool,
        progress: Optional[Callable[[str], None]] = None,
    ) -> int: ...
    def export_file_async(
        self,
        query: _Query,
        limit: Optional[int],
        prefetch: int,
        format: Optional[str],
        path: str,
        resume: bool,
        progress: Optional[Callable[[str], None]],
        settle: _Settle,
    ) -> NativeTask: ...
    def sync(
        self, destination: str, query: _Query, settings: str, progress: Optional[Callable[[str], None]] = None
    ) -> str: ...
    def sync_batches(self, query: _Query, settings: str, state: Optional[str] = None) -> NativeBatches: ...
    def sync_async(
        self,
        destination: str,
        query: _Query,
        settings: str,
        progress: Optional[Callable[[str], None]],
        settle: _Settle,
    ) -> NativeTask: ...
    def table(
        self, query: _Query, concurrency: int, limit: Optional[int], progress: Optional[Callable[[str], None]] = None
    ) -> NativeTable: ...
    def table_async(
        self, query: _Query, concurrency: int, limit: Optional[int], progress: Optional[Callable[[str], None]], settle: _Settle
    ) -> NativeTask: ...

@final
class NativeReferenceServer:
    def __new__(cls, options: str) -> NativeReferenceServer: ...
    @property
    def url(self) -> str: ...
    @property
    def token(self) -> str: ...
    @property
    def org_handle(self) -> str: ...
    @property
    def requests(self) -> int: ...
    @property
    def peak_concurrency(self) -> int: ...
    def stop(self) -> None: ...

def run_cli(argv: List[str]) -> int: ...
def run_user_cli(argv: List[str]) -> int: ...
