"""`CallType` and `CallStatus`: `str` enums that keep values they do not know."""

from __future__ import annotations

import enum
from typing import Any


class _OpenStrEnum(str, enum.Enum):
    """A `str` enum whose unknown values become members on the fly, so nothing a server sends is lost."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper().replace("-", "_") or "EMPTY"
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str(self.value)

    @property
    def is_documented(self) -> bool:
        """Whether the value is one the API documents."""
        return self._name_ in type(self).__members__


class CallType(_OpenStrEnum):
    """The direction of a call."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallStatus(_OpenStrEnum):
    """The outcome of a call."""

    COMPLETED = "completed"
    MISSED = "missed"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
