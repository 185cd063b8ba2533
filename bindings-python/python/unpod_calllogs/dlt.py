"""A dlt source of call logs: incremental loads into any of dlt's destinations, in the windows and
with the record keys of the core's sync engine (`pip install 'unpod-calllogs[dlt]'`).

    import dlt
    from unpod_calllogs.dlt import call_logs_source

    pipeline = dlt.pipeline("call_logs", destination="duckdb", dataset_name="unpod")
    pipeline.run(call_logs_source(call_type="inbound", max_records=20_000))

Each run reads what `sync` would read: up to `settle` seconds before now, from the end of the last
run less `lookback` (calls whose logs arrived late), in windows of at most `max_records` records
and `max_pages` pages, each a verified walk. Every window is yielded as one Arrow table with the
documented fields, `extra` (JSON text), `record_key` (the table's primary key, merged on) and
`record_digest`; the sync's state goes into dlt's resource state after each window, and dlt
stores it with the load. A run that fails loads nothing and leaves the state as it was: the next
run reads that range again and merges it by key, so nothing is lost or stored twice. Records the
server no longer has are not deleted (dlt merges; it is given no deletions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Optional

from . import _native
from ._client import CallLogParams, Client, DateLike, _query
from ._extras import require
from ._sync import _settings

if TYPE_CHECKING:
    from typing_extensions import Unpack

STATE_KEY = "unpod_sync"
"""Where the sync's state lives in dlt's resource state."""


def call_logs_source(
    client: Optional[Client] = None,
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
    **params: Unpack[CallLogParams],
) -> Any:
    """A dlt source (`unpod_calllogs`) with one resource, the table `table` (default `call_logs`),
    merged on `record_key`. `client` defaults to `Client()` (the `UNPOD_*` variables); the
    settings and filters are those of `call_logs.sync`."""
    dlt = require("dlt", "dlt")
    pyarrow = require("pyarrow", "dlt")
    given = locals()
    settings = _settings(**{name: given[name] for name in _native.SYNC_SETTINGS})
    query = _query("sync", None, None, params)
    reader = client if client is not None else Client()
    name = table or _native.SYNC_DEFAULTS["table"]

    @dlt.resource(name=name, primary_key="record_key", write_disposition="merge")  # type: ignore[untyped-decorator]
    def call_logs() -> Iterator[Any]:
        state = dlt.current.resource_state()
        batches = reader.call_logs._client.sync_batches(query, settings, state.get(STATE_KEY))
        try:
            while True:
                batch = batches.next_batch()
                if batch is None:
                    break
                records, after = batch
                yield pyarrow.table(records)
                state[STATE_KEY] = after
            batches.finish()
        finally:
            batches.close()

    @dlt.source(name="unpod_calllogs")  # type: ignore[untyped-decorator]
    def source() -> Any:
        return call_logs

    return source()
