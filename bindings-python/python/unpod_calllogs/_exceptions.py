"""The exceptions of unpod_calllogs. Every error the library raises is a `CallLogsError`."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Type


class CallLogsError(Exception):
    """Base of every error raised by unpod_calllogs.

    An error that stopped an `export` also says how far it got: `rows_written`, the records
    written (for a path: those in its partial file, which `resume=True` continues), and
    `partial`, that file's path. Both are `None` elsewhere."""

    rows_written: Optional[int] = None
    partial: Optional[str] = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(CallLogsError, ValueError):
    """A client setting or walk option is missing, of the wrong type, or out of range; raised before
    any request. The message names the setting and the rule."""


class APIError(CallLogsError):
    """A request went wrong."""


class APIStatusError(APIError):
    """The server answered with a status other than 2xx."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: str = "",
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status
        self.body = body
        self.request_id = request_id
        self.retry_after = retry_after


class BadRequestError(APIStatusError):
    """400: the server rejected a filter or page value."""


class AuthenticationError(APIStatusError):
    """401: the token is missing or invalid."""


class PermissionDeniedError(APIStatusError):
    """403: the token may not read that organization."""


class NotFoundError(APIStatusError):
    """404: no organization has that handle."""


class RateLimitError(APIStatusError):
    """429: too many requests (after the retries allowed)."""


class InternalServerError(APIStatusError):
    """5xx: the server failed (after the retries allowed)."""


class APIConnectionError(APIError):
    """The server could not be reached, or the connection broke off."""


class APITimeoutError(APIConnectionError):
    """No complete answer within the timeout."""


class DecodeError(APIError):
    """A 2xx answer whose body is not a page of call logs."""

    def __init__(self, message: str, *, status: int, body: str = "") -> None:
        super().__init__(message)
        self.status_code = status
        self.body = body


class InvalidQueryError(CallLogsError, ValueError):
    """A filter breaks a rule of the API; raised before any request is sent."""

    def __init__(self, message: str, *, parameter: str, rule: str, value: Optional[str] = None) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.rule = rule
        self.value = value


class ServerContractError(CallLogsError):
    """The server answered in a way the API rules out, so the records cannot be trusted.

    `violation` says how (`_native.VIOLATION_KINDS`): `filter_not_applied` (a record outside the
    filters sent: `parameter` and `value` name the filter), `page_mismatch` (a page's length
    contradicts `count`: records would be lost), `repeated_page` (the server ignores `page`),
    `unbounded` (the walk would never end), `order` (a record newer than the one before it:
    `previous_record` is that one), `repeated_record` (a record already handed on came again) or
    `count_changed` (`count` fell during the walk). `record` is the offending record as a dict,
    `page` the page's number. The records before the offending page were handed on; nothing after.
    """

    def __init__(
        self,
        message: str,
        *,
        violation: str,
        parameter: Optional[str] = None,
        value: Optional[str] = None,
        record: Optional[str] = None,
        previous_record: Optional[str] = None,
        page: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.violation = violation
        self.parameter = parameter
        self.value = value
        self.record: Optional[Dict[str, Any]] = None if record is None else json.loads(record)
        self.previous_record: Optional[Dict[str, Any]] = (
            None if previous_record is None else json.loads(previous_record)
        )
        self.page = page


class DestinationError(CallLogsError):
    """A sync's destination failed: it cannot be opened or written, or its table is kept in step
    with other filters. The window being written is not there; the next sync writes it."""


BY_KIND: Dict[str, Type[CallLogsError]] = {
    "bad_request": BadRequestError,
    "authentication": AuthenticationError,
    "permission_denied": PermissionDeniedError,
    "not_found": NotFoundError,
    "rate_limit": RateLimitError,
    "internal_server": InternalServerError,
    "api_status": APIStatusError,
    "timeout": APITimeoutError,
    "connection": APIConnectionError,
    "decode": DecodeError,
    "invalid_query": InvalidQueryError,
    "config": ConfigError,
    "server_contract": ServerContractError,
    "destination": DestinationError,
}
"""The exception class of each kind of error the core names (`unpod_calllogs._native.ERROR_KINDS`)."""
