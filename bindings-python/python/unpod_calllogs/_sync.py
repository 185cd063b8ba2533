"""`call_logs.sync()`: a table of call logs kept in step by the core's sync engine, and its summary."""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Union

from ._extras import require

Progress = Union[bool, Callable[[Dict[str, Any]], object], None]
"""`progress=`: `True` for a bar (needs tqdm: `pip install 'unpod-calllogs[progress]'`), a callable
that receives each window's (or page's) progress as a dict, or `None` for nothing."""

Destination = Union[str, "os.PathLike[str]"]
"""Where the table is kept: a file path (or `sqlite:PATH`) is an embedded SQLite database,
`postgresql://...` a PostgreSQL database, `parquet:DIR` a directory of day-partitioned Parquet."""


def _instant(text: Optional[str]) -> Optional[datetime.datetime]:
    if text is None:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class SyncSummary:
    """What one run of `sync` did."""

    windows: int
    """Windows (and chunks) written, each in one transaction with the sync's state."""
    new: int
    """Records the table did not hold."""
    updated: int
    """Records it held with other values."""
    unchanged: int
    """Records it held as they are (read again within the lookback)."""
    deleted: int
    """Records it held that the server no longer has."""
    requests: int
    """Requests sent."""
    elapsed: float
    """Seconds the run took."""
    resumed: bool
    """Whether the run finished one that had stopped before its end."""
    start: Optional[datetime.datetime]
    """The oldest `creation_time` covered (`None`: the whole history)."""
    until: datetime.datetime
    """The newest `creation_time` covered (the run's start less the settle time)."""

    @classmethod
    def _of(cls, summary_json: str) -> SyncSummary:
        fields = json.loads(summary_json)
        fields["start"] = _instant(fields["start"])
        fields["until"] = _instant(fields["until"])
        return cls(**fields)


def _settings(**settings: Any) -> str:
    """The settings as the core reads them: seconds for durations, ISO 8601 for `until`."""
    until = settings.get("until")
    if isinstance(until, datetime.datetime) and until.tzinfo is None:
        settings["until"] = until.replace(tzinfo=datetime.timezone.utc).isoformat()
    elif isinstance(until, (datetime.date, datetime.datetime)):
        settings["until"] = until.isoformat()
    return json.dumps({name: value for name, value in settings.items() if value is not None})


class _Bar:
    """A tqdm bar fed by the progress of a sync or an export."""

    def __init__(self, desc: str) -> None:
        tqdm = require("tqdm", "progress").tqdm
        self._bar = tqdm(unit=" records", desc=desc)

    def __call__(self, progress: Dict[str, Any]) -> None:
        if progress["total"] is not None and self._bar.total != progress["total"]:
            self._bar.total = progress["total"]
        self._bar.update(progress["records"] - self._bar.n)
        if progress["down_to"] is not None:
            self._bar.set_postfix_str(f"down to {progress['down_to']}", refresh=False)

    def close(self) -> None:
        self._bar.close()


def _listener(progress: Progress, desc: str) -> tuple[Optional[Callable[[str], None]], Optional[_Bar]]:
    """The native callback for `progress=`, and the bar (labelled `desc`) to close afterwards."""
    if progress is None or progress is False:
        return None, None
    bar = _Bar(desc) if progress is True else None
    tell: Callable[[Dict[str, Any]], object] = bar if bar is not None else progress  # type: ignore[assignment]
    if not callable(tell):
        from ._exceptions import ConfigError

        raise ConfigError(f"progress must be True, a callable or None (got {type(progress).__name__})")

    def native(details: str) -> None:
        tell(json.loads(details))

    return native, bar


class _Listening:
    """`progress=` of one call: entering gives the native callback, leaving closes the bar."""

    def __init__(self, progress: Progress, desc: str) -> None:
        self._listener, self._bar = _listener(progress, desc)

    def __enter__(self) -> Optional[Callable[[str], None]]:
        return self._listener

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.close()
