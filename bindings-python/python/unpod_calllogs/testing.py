"""Helpers for your own tests: the reference server of the call-logs API, in process."""

from __future__ import annotations

import datetime
import json
from typing import Any, Optional, Sequence, Union

from . import _native


class ReferenceServer:
    """A faithful in-memory server of the call-logs API on 127.0.0.1, with seeded data.

    Use it as a context manager; `.url`, `.token` and `.org_handle` configure a `Client`::

        with ReferenceServer(records=500) as server:
            client = Client(server.token, server.org_handle, server.url)

    Every keyword is a knob of the Rust reference server under the same name, and an unset one
    keeps the server's default (`_native.REFERENCE_OPTIONS` lists them; a test holds this signature
    to that list). For error handling: `latency` (seconds added to every answer), `error_rate` and
    `throttle_rate` (shares of 500/503 and 429 answers), `retry_after_secs` (on 429), `script`
    (statuses of the first answers, e.g. `[503, 429]`), `live_inserts` (new calls before each
    answer), `late_inserts` (calls before each answer created up to `late_by` seconds before the
    newest, as logs that arrive late), `fault` (a named contract violation, see `calllogs-contract serve --list-faults`),
    `emulate` (a real server to behave like, over the other keywords: `"unpod-v2"`, the real
    Unpod v2 server, or `"drf-pagination"`).

    The ways real servers paginate and filter: `page_size_cap` (serve at most that many records a
    page, silently), `default_page_size` (when none is sent; the API's is 20), `past_last` (the
    answer to a page past the last: `"empty"`, `"400"` or `"404"`), `ignored_filters` (filter
    names accepted and not applied, e.g. `["start_date", "end_date"]`), `legacy_date_params`
    (read `start_time` / `end_time` as date bounds), `case_insensitive_enums`,
    `page_size_unbounded`, `required_header` (answer 400 without it) and `real_world_records`
    (fields the API does not define, fractional durations).

    Generated history ends on 2026-03-01 so that runs repeat; `end_at="now"` (or a `datetime`, naive
    meaning UTC) makes it end then, so that "the last week" holds calls. `compression=True` gzips
    answers when the request allows it; `bandwidth` (bytes a second) paces each connection like a
    slow link.
    """

    def __init__(
        self,
        records: Optional[int] = None,
        seed: Optional[int] = None,
        *,
        fault: Optional[str] = None,
        end_at: Union[str, datetime.datetime, None] = None,
        emulate: Optional[str] = None,
        latency: Optional[float] = None,
        error_rate: Optional[float] = None,
        throttle_rate: Optional[float] = None,
        retry_after_secs: Optional[int] = None,
        script: Optional[Sequence[int]] = None,
        live_inserts: Optional[int] = None,
        late_inserts: Optional[int] = None,
        late_by: Optional[float] = None,
        page_size_cap: Optional[int] = None,
        default_page_size: Optional[int] = None,
        past_last: Optional[str] = None,
        ignored_filters: Optional[Sequence[str]] = None,
        legacy_date_params: Optional[bool] = None,
        case_insensitive_enums: Optional[bool] = None,
        page_size_unbounded: Optional[bool] = None,
        required_header: Optional[str] = None,
        real_world_records: Optional[bool] = None,
        compression: Optional[bool] = None,
        bandwidth: Optional[int] = None,
    ) -> None:
        options = {name: value for name, value in locals().items() if name != "self" and value is not None}
        self._native = _native.NativeReferenceServer(json.dumps(options, default=_json_value))

    @property
    def url(self) -> str:
        """The base URL, e.g. `http://127.0.0.1:41234`."""
        return self._native.url

    @property
    def token(self) -> str:
        """The token that reads the organization."""
        return self._native.token

    @property
    def org_handle(self) -> str:
        """The organization's handle."""
        return self._native.org_handle

    @property
    def requests(self) -> int:
        """How many requests the server has answered."""
        return self._native.requests

    @property
    def peak_concurrency(self) -> int:
        """The most requests the server was answering at one time."""
        return self._native.peak_concurrency

    def stop(self) -> None:
        """Stops the server (also done on leaving the `with` block)."""
        self._native.stop()

    def __enter__(self) -> ReferenceServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ReferenceServer(url={self.url!r}, org_handle={self.org_handle!r})"


def _json_value(value: Any) -> Any:
    """A knob's value that JSON has no type for: a `datetime` (ISO 8601) or a sequence."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return list(value)
