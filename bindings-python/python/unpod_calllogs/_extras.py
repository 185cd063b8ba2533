"""Optional packages, and the extra of this package that installs each."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, extra: str) -> ModuleType:
    """Imports `module`, or raises an `ImportError` that names the extra to install."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        raise ImportError(
            f"{module} is needed here and is not installed: pip install 'unpod-calllogs[{extra}]'",
            name=module,
        ) from error
