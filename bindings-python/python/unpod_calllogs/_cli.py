"""The console scripts, run by the same native code as the Rust binaries: `calllogs-contract` (the
contract suite, the schemas and the reference server) and `unpod-calllogs` (sync, export, list)."""

import signal
import sys
from typing import Callable, List

from ._native import run_cli, run_user_cli

__all__ = ["main", "user_main"]


def _run(name: str, run: Callable[[List[str]], int]) -> None:
    # Python turns SIGINT into KeyboardInterrupt, which native code never sees: give it back its
    # default action, so that Ctrl-C stops a run as it stops the binary (`serve` stops cleanly on
    # its own handler).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    sys.exit(run([name, *sys.argv[1:]]))


def main() -> None:
    """Runs `calllogs-contract` with this process's arguments and exits with its status."""
    _run("calllogs-contract", run_cli)


def user_main() -> None:
    """Runs `unpod-calllogs` with this process's arguments and exits with its status."""
    _run("unpod-calllogs", run_user_cli)
