"""What the benchmark programs that read from a server in another process share."""

from __future__ import annotations

import subprocess
from typing import List


class Server:
    """`calllogs-contract serve` in its own process, on a free port."""

    def __init__(self, binary: str, records: int, extra: List[str]) -> None:
        self.process = subprocess.Popen(
            [binary, "serve", "--port", "0", "--records", str(records), *extra],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        banner = self.process.stdout.readline()
        self.url = banner.rsplit(" ", 1)[-1].strip()
        assert self.url.startswith("http://"), banner
        self.token, self.org_handle = "test-token", "acme"

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()
