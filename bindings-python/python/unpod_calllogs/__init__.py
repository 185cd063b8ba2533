"""Read Unpod platform call logs: sync and async clients on a Rust core.

    from unpod_calllogs import Client, CallStatus

    client = Client()  # UNPOD_PLATFORM_TOKEN, UNPOD_ORG_HANDLE
    for log in client.call_logs.iter(call_status=CallStatus.COMPLETED, start_date="2026-02-01"):
        print(log.creation_time, log.destination_number, log.call_duration)
"""

import logging

from ._client import (
    AsyncCallLogPage,
    AsyncClient,
    CallLog,
    CallLogFilters,
    CallLogPage,
    CallLogParams,
    CallLogTable,
    CallStatusLike,
    CallTypeLike,
    Client,
    DateLike,
    ExportFormat,
    RequestOptions,
    Response,
    records_from_json,
)
from ._enums import CallStatus, CallType
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CallLogsError,
    ConfigError,
    DecodeError,
    DestinationError,
    InternalServerError,
    InvalidQueryError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerContractError,
)
from ._native import __version__
from ._sync import SyncSummary

# A library says nothing on stderr unless the program configured logging (retries are logged at
# WARNING on this logger and its children).
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncCallLogPage",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "CallLog",
    "CallLogFilters",
    "CallLogPage",
    "CallLogParams",
    "CallLogTable",
    "CallLogsError",
    "ConfigError",
    "CallStatus",
    "CallStatusLike",
    "CallType",
    "CallTypeLike",
    "Client",
    "DateLike",
    "ExportFormat",
    "DecodeError",
    "DestinationError",
    "InternalServerError",
    "InvalidQueryError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestOptions",
    "Response",
    "ServerContractError",
    "SyncSummary",
    "__version__",
    "records_from_json",
]
