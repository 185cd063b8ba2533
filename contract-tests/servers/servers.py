"""List servers nobody here wrote, each with the OpenAPI document of its list operation and the
faults its own configuration can be given: what `calllogs-contract run --openapi` is tested
against (test_list_servers.py) and compared with Schemathesis on (compare.py).

The records are the reference server's (`calllogs-contract serve`), read through it once.
CALLLOGS_CONTRACT names the CLI (default: target/debug/calllogs-contract).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CLI = os.environ.get("CALLLOGS_CONTRACT", str(ROOT / "target" / "debug" / "calllogs-contract"))
RECORDS = 300
DRF_TOKEN = "Token drf-list-servers-0123456789abcdef0123456"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Waits until `url` answers at all (an HTTP error, such as 401, is an answer)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}) before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no answer from {url} in {seconds} s")


def reference_records() -> list[dict[str, object]]:
    """The reference server's records, newest first."""
    port = free_port()
    server = subprocess.Popen([CLI, "serve", "--port", str(port), "--records", str(RECORDS)], stdout=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/api/v2/platform/call-logs/?page_size=1000"
        request = urllib.request.Request(url, headers={"Authorization": "Token test-token", "Org-Handle": "acme"})
        wait_for(url, server)
        with urllib.request.urlopen(request, timeout=10) as answer:
            page = json.load(answer)
    finally:
        server.terminate()
        server.wait()
    data: list[dict[str, object]] = page["data"]
    assert len(data) == RECORDS
    return data


@dataclass(frozen=True)
class Variant:
    """The server's document with its pagination declared another way, as another extension
    describes the same server: the change to its list operation, the checks that declaration gives
    no basis for, and the faults still meant to be found through it."""

    name: str
    declare: Callable[[dict[str, Any]], None]
    skipped: list[str]
    faults: list[str]


@dataclass(frozen=True)
class Server:
    """A list server: how to store the records for it, how to start it (with a fault or none),
    its document, the options `run --openapi` needs, each fault with the check meant to find it,
    and the variants of its document."""

    name: str
    document: Path
    store: Callable[[list[dict[str, object]], Path], Path]
    command: Callable[[Path, int, str | None], tuple[list[str], dict[str, str]]]
    ready: str
    faults: dict[str, str]
    headers: list[str] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)

    def document_in(self, folder: Path, variant: Variant | None) -> Path:
        """The document, or the variant of it written into `folder` (as JSON)."""
        if variant is None:
            return self.document
        document = yaml.safe_load(self.document.read_text())
        (get,) = [item["get"] for item in document["paths"].values() if "get" in item]
        del get["x-speakeasy-pagination"]
        variant.declare(get)
        path = folder / f"{self.document.parent.name}-{variant.name}.json"
        path.write_text(json.dumps(document))
        return path


def link_headers(get: dict[str, Any]) -> None:
    """json-server's own `Link` header: every walk starts at `_page=1&_limit=100` (its default
    page holds 10) and follows rel="next", which keeps both."""
    for parameter in get["parameters"]:
        default = {"_page": 1, "_limit": 100}.get(parameter["name"])
        if default is not None:
            parameter["required"] = True
            parameter["schema"]["default"] = default


def next_links(get: dict[str, Any]) -> None:
    """DRF's `next` URLs, as AutoRest's x-ms-pageable describes them."""
    get["x-ms-pageable"] = {"nextLinkName": "next", "itemName": "results"}


def store_json_server(records: list[dict[str, object]], folder: Path) -> Path:
    db = folder / "db.json"
    db.write_text(json.dumps({"calls": [{"id": i + 1, **r} for i, r in enumerate(records)]}))
    return db


def json_server_command(db: Path, port: int, fault: str | None) -> tuple[list[str], dict[str, str]]:
    folder = HERE / "json-server"
    binary = folder / "node_modules" / ".bin" / "json-server"
    middlewares = str(folder / "faults.js")
    return [str(binary), str(db), "--port", str(port), "--middlewares", middlewares, "--quiet"], {
        "LIST_FAULT": fault or ""
    }


def store_records(records: list[dict[str, object]], folder: Path) -> Path:
    path = folder / "records.json"
    path.write_text(json.dumps(records))
    return path


def drf_command(records: Path, port: int, fault: str | None) -> tuple[list[str], dict[str, str]]:
    return [sys.executable, str(HERE / "drf" / "serve.py"), str(records), str(port), *([fault] if fault else [])], {}


COLUMNS = {
    "call_type": "text",
    "call_status": "text",
    "creation_time": "text",
    "call_duration": "integer",
    "end_reason": "text",
    "source_number": "text",
    "destination_number": "text",
    "start_time": "text",
    "end_time": "text",
}


def store_sqlite(records: list[dict[str, object]], folder: Path) -> Path:
    path = folder / "calls.db"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
        db.execute(f"create table calls (id integer primary key, {columns})")
        db.executemany(
            f"insert into calls ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})",
            [[r[name] for name in COLUMNS] for r in records],
        )
    return path


# Each fault of Datasette's own configuration (its settings and metadata).
DATASETTE_OPTIONS = {
    # A page holds at most 50 rows, where the document promises 1000: asking for more is a 400.
    "max-returned-rows-50": ["--setting", "max_returned_rows", "50"],
    # The table's default sort is set to oldest first.
    "sort-ascending": ["--metadata", str(HERE / "datasette" / "sort-ascending.json")],
}


def datasette_command(db: Path, port: int, fault: str | None) -> tuple[list[str], dict[str, str]]:
    options = DATASETTE_OPTIONS[fault] if fault else []
    return [sys.executable, "-m", "datasette", "serve", str(db), "--port", str(port), *options], {}


SERVERS = [
    Server(
        name="json-server 0.17",
        document=HERE / "json-server" / "openapi.yaml",
        store=store_json_server,
        command=json_server_command,
        ready="/calls?_limit=1",
        # faults.js, chosen by LIST_FAULT
        faults={
            "cap-limit": "list.full-pages",
            "wrong-field": "list.filters-complete",
            "filters-on-page-1": "list.filters-match",
        },
        variants=[
            Variant(
                "link-headers",
                link_headers,
                skipped=["list.full-pages", "list.past-last", "list.auth", "list.isolation"],
                faults=["wrong-field", "filters-on-page-1"],
            )
        ],
    ),
    Server(
        name="Django REST framework + django-filter",
        document=HERE / "drf" / "openapi.yaml",
        store=store_records,
        command=drf_command,
        ready="/calls/",
        # serve.py's FAULT argument
        faults={
            "max-page-size-100": "list.full-pages",
            "start-exclusive": "list.filters-complete",
            "unstable-order": "list.walks",
            "allow-any": "list.auth",
        },
        headers=["--header", f"Authorization: {DRF_TOKEN}"],
        variants=[
            Variant(
                "next-links",
                next_links,
                skipped=["list.full-pages", "list.past-last", "list.isolation"],
                # Not unstable-order: the pages are the server's 20 records, so its random order
                # of ties shows only by chance, where a tie crosses a page's end.
                faults=["start-exclusive", "allow-any"],
            )
        ],
    ),
    Server(
        name="Datasette",
        document=HERE / "datasette" / "openapi.yaml",
        store=store_sqlite,
        command=datasette_command,
        ready="/calls/calls.json?_size=1",
        faults={"max-returned-rows-50": "list.walks", "sort-ascending": "list.order"},
    ),
]


@contextlib.contextmanager
def running(server: Server, stored: Path, fault: str | None) -> Iterator[str]:
    """The server started on a free port, with `fault` (or none); yields its base URL."""
    port = free_port()
    command, env = server.command(stored, port, fault)
    process = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(url + server.ready, process)
        yield url
    finally:
        process.terminate()
        process.wait()


def run_openapi(server: Server, url: str, document: Path | None = None) -> tuple[int, dict[str, object], float]:
    """`calllogs-contract run --openapi` on the server (with its document, or this one): exit
    status, JSON report, seconds."""
    started = time.monotonic()
    document = document or server.document
    done = subprocess.run(
        [CLI, "run", "--openapi", str(document), "--base-url", url, "--format", "json", *server.headers],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"run --openapi exited {done.returncode}: {done.stderr}")
    return done.returncode, json.loads(done.stdout), time.monotonic() - started


def outcomes(report: dict[str, object], status: str) -> list[str]:
    """The ids of the report's checks with this outcome status (failed, skipped, ...)."""
    checks = report["checks"]
    assert isinstance(checks, list)
    return [c["id"] for c in checks if c["outcome"]["status"] == status]
