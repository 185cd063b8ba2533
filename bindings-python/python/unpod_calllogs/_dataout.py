"""Records out: Arrow columns, and CSV or NDJSON written page by page."""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Optional, Union

from . import _native
from ._bridge import _call
from ._extras import require

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


def _path(destination: Union[str, os.PathLike[str], IO[bytes]]) -> Optional[str]:
    return os.fspath(destination) if isinstance(destination, (str, os.PathLike)) else None


def _export(exporter: _native.NativeExporter, destination: Union[str, os.PathLike[str], IO[bytes]]) -> int:
    if isinstance(destination, (str, os.PathLike)):
        with open(destination, "wb") as file:
            return _export(exporter, file)
    written = 0
    try:
        while True:
            chunk = exporter.next_chunk()
            if chunk is None:
                return written
            records, text = chunk
            destination.write(text)
            written += records
    finally:
        exporter.close()


async def _export_async(
    exporter: _native.NativeExporter, destination: Union[str, os.PathLike[str], IO[bytes]]
) -> int:
    if isinstance(destination, (str, os.PathLike)):
        with open(destination, "wb") as file:
            return await _export_async(exporter, file)
    written = 0
    try:
        while True:
            chunk = await _call(exporter.next_chunk_async)
            if chunk is None:
                return written
            records, text = chunk
            destination.write(text)
            written += records
    finally:
        exporter.close()
