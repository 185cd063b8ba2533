"""The `calllogs-contract` console script: the contract suite, the schemas and the reference server,
run by the same native code as the Rust binary (see `calllogs-contract --help`)."""

import signal
import sys

from ._native import run_cli

__all__ = ["main"]


def main() -> None:
    """Runs `calllogs-contract` with this process's arguments and exits with its status."""
    # Python turns SIGINT into KeyboardInterrupt, which native code never sees: give it back its
    # default action, so that Ctrl-C stops a run as it stops the binary (`serve` stops cleanly on
    # its own handler).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    sys.exit(run_cli(["calllogs-contract", *sys.argv[1:]]))
