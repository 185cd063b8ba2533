"""Helpers for your own tests: the reference server of the call-logs API, in process."""

from __future__ import annotations

import datetime
from typing import List, Optional, Sequence, Union

from . import _native


class ReferenceServer:
    """A faithful in-memory server of the call-logs API on 127.0.0.1, with seeded data.

    Use it as a context manager; `.url`, `.token` and `.org_handle` configure a `Client`::

        with ReferenceServer(records=500) as server:
            client = Client(server.token, server.org_handle, server.url)

    Knobs for testing error handling: `latency` (seconds added to every answer), `error_rate` and
    `throttle_rate` (shares of 500/503 and 429 answers), `retry_after` (seconds, on 429), `script`
    (statuses of the first answers, e.g. `[503, 429]`), `live_inserts` (new calls before each
    answer), `fault` (a named contract violation, see `calllogs-contract serve --list-faults`).

    Knobs that make it paginate and filter the way real servers do: `page_size_cap` (serve at
    most that many records a page, silently), `default_page_size` (when none is sent; the API's
    is 20), `past_last` (the answer to a page past the last: `"empty"`, `"400"` or `"404"`) and
    `ignore_filters` (filter names accepted and not applied, e.g. `["start_date", "end_date"]`).

    Generated history ends on 2026-03-01 so that runs repeat; `end_at="now"` (or a `datetime`, naive
    meaning UTC) makes it end then, so that "the last week" holds calls. `compression=True` gzips
    answers when the request allows it; `bandwidth` (bytes a second) paces each connection like a
    slow link.
    """

    def __init__(
        self,
        records: int = _native.REFERENCE_DEFAULT_RECORDS,
        seed: int = _native.REFERENCE_DEFAULT_SEED,
        *,
        latency: float = 0.0,
        error_rate: float = 0.0,
        throttle_rate: float = 0.0,
        retry_after: int = _native.REFERENCE_DEFAULT_RETRY_AFTER,
        script: Optional[List[int]] = None,
        live_inserts: int = 0,
        fault: Optional[str] = None,
        page_size_cap: Optional[int] = None,
        default_page_size: Optional[int] = None,
        past_last: str = "empty",
        ignore_filters: Sequence[str] = (),
        end_at: Union[str, datetime.datetime, None] = None,
        compression: bool = False,
        bandwidth: Optional[int] = None,
    ) -> None:
        self._native = _native.NativeReferenceServer(
            records,
            seed,
            latency,
            error_rate,
            throttle_rate,
            retry_after,
            list(script or []),
            live_inserts,
            fault,
            page_size_cap,
            default_page_size,
            past_last,
            list(ignore_filters),
            end_at.isoformat() if isinstance(end_at, datetime.datetime) else end_at,
            compression,
            bandwidth,
        )

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
