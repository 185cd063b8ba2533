"""Records out: Arrow columns, and CSV or NDJSON written page by page."""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Optional, Tuple, Union

from . import _native
from ._bridge import _call
from ._exceptions import CallLogsError, ConfigError
from ._extras import require
from ._sync import Progress, _listener

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow


class CallLogTable:
    """Records as Apache Arrow columns, for pyarrow, pandas, polars and DuckDB without a Python object
    per record. It implements the Arrow PyCapsule interface (`__arrow_c_stream__`), so
    `pyarrow.table(t)`, `polars.DataFrame(t)` and `duckdb.sql("select * from t")` read it directly.

    Columns: the documented fields in their documented order (times as UTC timestamps, durations as
    float seconds), then `extra`, the unknown fields as a JSON object (null when none).
    """

    def __init__(self, native: _native.NativeTable) -> None:
        self._native = native

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        """The Arrow C stream of the records (the Arrow PyCapsule interface)."""
        return self._native.__arrow_c_stream__(requested_schema)

    def __len__(self) -> int:
        return len(self._native)

    def to_pyarrow(self) -> pyarrow.Table:
        """A `pyarrow.Table` (needs pyarrow: `pip install 'unpod-calllogs[arrow]'`)."""
        table: pyarrow.Table = require("pyarrow", "arrow").table(self)
        return table

    def to_pandas(self) -> pandas.DataFrame:
        """A `pandas.DataFrame`, times as `datetime64[us, UTC]` (needs pandas and pyarrow:
        `pip install 'unpod-calllogs[pandas]'`)."""
        require("pandas", "pandas")
        require("pyarrow", "pandas")
        return self.to_pyarrow().to_pandas()

    def to_polars(self) -> polars.DataFrame:
        """A `polars.DataFrame` (needs polars: `pip install 'unpod-calllogs[polars]'`)."""
        frame: polars.DataFrame = require("polars", "polars").DataFrame(self)
        return frame

    def __repr__(self) -> str:
        return f"CallLogTable({len(self)} records)"


ExportDestination = Union[str, "os.PathLike[str]", IO[bytes]]
"""Where an export writes: a file path (complete or not there; resumable), or a binary file."""


class _Export:
    """The arguments of an `export` call as the native client takes them, and the progress bar to
    close when it ends (a context manager)."""

    def __init__(
        self,
        client: _native.NativeClient,
        query: _native._Query,
        limit: Optional[int],
        prefetch: int,
        format: Optional[str],
        destination: ExportDestination,
        resume: bool,
        progress: Progress,
    ) -> None:
        self.client, self.query, self.limit, self.prefetch, self.format = client, query, limit, prefetch, format
        self.destination = destination
        self.path = os.fspath(destination) if isinstance(destination, (str, os.PathLike)) else None
        if self.path is None and resume:
            raise ConfigError("resume continues an export into a file: give a path, not a stream")
        self.resume = resume
        self.stream: IO[bytes] = destination  # type: ignore[assignment]
        self.written = 0
        self.listener, self._bar = _listener(progress, "export")

    def exporter(self) -> _native.NativeExporter:
        """The export of a walk into a stream, page by page."""
        return self.client.exporter(self.query, self.limit, self.prefetch, self.format, None)

    def take(self, exporter: _native.NativeExporter, chunk: Tuple[int, bytes]) -> None:
        """Writes a chunk of a stream export and tells the progress."""
        records, text = chunk
        self.stream.write(text)
        self.written += records
        progress = exporter.progress() if self.listener is not None else None
        if progress is not None and self.listener is not None:
            self.listener(progress)

    def __enter__(self) -> _Export:
        return self

    def __exit__(self, kind: object, error: Optional[BaseException], traceback: object) -> None:
        if isinstance(error, CallLogsError) and self.path is None:
            error.rows_written = self.written
        if self._bar is not None:
            self._bar.close()


def _export(run: _Export) -> int:
    """Writes the export: a file natively, a stream page by page."""
    with run:
        if run.path is not None:
            return run.client.export_file(
                run.query, run.limit, run.prefetch, run.format, run.path, run.resume, run.listener
            )
        exporter = run.exporter()
        try:
            while (chunk := exporter.next_chunk()) is not None:
                run.take(exporter, chunk)
            return run.written
        finally:
            exporter.close()


async def _export_async(run: _Export) -> int:
    """`_export` for `await`; cancelling the task stops the export (a file keeps its partial)."""
    with run:
        if run.path is not None:
            path = run.path
            written: int = await _call(
                lambda settle: run.client.export_file_async(
                    run.query, run.limit, run.prefetch, run.format, path, run.resume, run.listener, settle
                )
            )
            return written
        exporter = run.exporter()
        try:
            while (chunk := await _call(exporter.next_chunk_async)) is not None:
                run.take(exporter, chunk)
            return run.written
        finally:
            exporter.close()
