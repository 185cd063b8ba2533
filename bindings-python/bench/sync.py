"""Syncs of many records into each destination, a first run and an incremental one, against dlt's
`rest_api` source configured for this endpoint (the peer), all in one run, the server in another
process.

    cargo build --release -p calllogs-contract
    .venv/bin/python bindings-python/bench/sync.py [--records 1000000] [--server target/release/calllogs-contract]
        [--cases sqlite,parquet,postgres,dlt,peer-duckdb,peer-parquet]

Each case runs in a process of its own (so that its peak RSS is its own): a first run from an empty
destination, then an incremental run (the history ends an hour before the run, so the incremental
run reads the lookback's two hours again: ours re-reads them by design, the peer's `start_date`
cursor only what is newer than the last record it saw). Prints records per second, requests (ours:
the sync's count; the peer's: the HTTP requests its `requests` session sent), seconds and peak RSS,
and each first run's speed as a ratio to the peer's into DuckDB. `postgres` starts a throwaway
cluster from the Debian package (fsync off, as the tests run it).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict

from _server import Server

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE_SIZE = 1000
TOKEN, ORG = "test-token", "acme"


class Postgres:
    """A throwaway PostgreSQL cluster (`initdb` and `pg_ctl` of the Debian package)."""

    def __init__(self) -> None:
        versions = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not versions:
            raise SystemExit("postgres: PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = versions[-1].parent
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="bench-pg-"))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.root = os.getuid() == 0
        if self.root:
            shutil.chown(self.dir, "postgres", "postgres")
        data = str(self.dir / "data")
        self.run("initdb", "-D", data, "-A", "trust", "-U", "calllogs", "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", data, "-l", str(self.dir / "log"), "-o", options, "-w", "start")
        self.url = f"postgresql://calllogs@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, cwd=self.dir, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def ours(destination: str) -> Callable[[str, pathlib.Path], Dict[str, Any]]:
    def run(url: str, work: pathlib.Path) -> Dict[str, Any]:
        from unpod_calllogs import Client

        client = Client(TOKEN, ORG, url)
        target = destination.replace("WORK", str(work))
        summary = client.call_logs.sync(target, page_size=PAGE_SIZE)
        return {"records": summary.new + summary.updated + summary.unchanged, "requests": summary.requests}

    return run


def dlt_ours(url: str, work: pathlib.Path) -> Dict[str, Any]:
    import dlt

    from unpod_calllogs import Client
    from unpod_calllogs.dlt import call_logs_source

    pipeline = dlt.pipeline(
        pipeline_name="ours",
        destination=dlt.destinations.duckdb(str(work / "ours.duckdb")),
        dataset_name="unpod",
        pipelines_dir=str(work / "pipelines"),
    )
    source = call_logs_source(Client(TOKEN, ORG, url), page_size=PAGE_SIZE)
    pipeline.run(source)
    return {"records": rows_of(pipeline), "requests": None}


def rows_of(pipeline: Any) -> int:
    """Rows the last run's extract yielded."""
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return int(sum(n for table, n in counts.items() if not table.startswith("_dlt")))


def peer(destination: str) -> Callable[[str, pathlib.Path], Dict[str, Any]]:
    def run(url: str, work: pathlib.Path) -> Dict[str, Any]:
        import dlt
        import requests
        from dlt.sources.rest_api import rest_api_source

        sent = {"requests": 0}
        send = requests.Session.send

        def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            sent["requests"] += 1
            return send(self, *args, **kwargs)

        requests.Session.send = counted  # type: ignore[method-assign]
        source = rest_api_source(
            {
                "client": {
                    "base_url": url,
                    "headers": {"Authorization": f"Token {TOKEN}", "Org-Handle": ORG},
                    "paginator": {"type": "page_number", "base_page": 1, "page_param": "page", "total_path": None},
                },
                "resources": [
                    {
                        "name": "call_logs",
                        "write_disposition": "merge",
                        "primary_key": ["creation_time", "source_number", "destination_number", "call_type"],
                        "endpoint": {
                            "path": "api/v2/platform/call-logs/",
                            "data_selector": "data",
                            "params": {
                                "page_size": PAGE_SIZE,
                                "start_date": {
                                    "type": "incremental",
                                    "cursor_path": "creation_time",
                                    "initial_value": "2000-01-01T00:00:00Z",
                                },
                            },
                        },
                    }
                ],
            }
        )
        if destination == "duckdb":
            target = dlt.destinations.duckdb(str(work / "peer.duckdb"))
            pipeline = dlt.pipeline("peer", destination=target, dataset_name="unpod", pipelines_dir=str(work / "pipelines"))
            pipeline.run(source)
        else:
            target = dlt.destinations.filesystem(bucket_url=(work / "peer-lake").as_uri())
            pipeline = dlt.pipeline("peer", destination=target, dataset_name="unpod", pipelines_dir=str(work / "pipelines"))
            pipeline.run(source, loader_file_format="parquet")
        return {"records": rows_of(pipeline), "requests": sent["requests"]}

    return run


CASES: Dict[str, Callable[[str, pathlib.Path], Dict[str, Any]]] = {
    "sqlite": ours("WORK/calls.db"),
    "parquet": ours("parquet:WORK/lake"),
    "postgres": ours("POSTGRES"),
    "dlt": dlt_ours,
    "peer-duckdb": peer("duckdb"),
    "peer-parquet": peer("parquet"),
}
LABELS = {
    "sqlite": "sync into SQLite (ours)",
    "parquet": "sync into Parquet, by day (ours)",
    "postgres": "sync into PostgreSQL (ours)",
    "dlt": "unpod_calllogs.dlt into DuckDB (ours, through dlt)",
    "peer-duckdb": "dlt rest_api into DuckDB (peer)",
    "peer-parquet": "dlt rest_api into Parquet files (peer)",
}


def child(case: str, url: str, work: pathlib.Path, postgres: str) -> None:
    """One case, both runs, in this process; prints its figures as JSON."""
    run = CASES[case]
    if case == "postgres":
        run = ours(postgres)
    figures = {}
    for name in ("first", "incremental"):
        started = time.perf_counter()
        result = run(url, work)
        result["seconds"] = time.perf_counter() - started
        figures[name] = result
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--server", default=str(ROOT / "target" / "release" / "calllogs-contract"))
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--postgres", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, pathlib.Path(args.work), args.postgres)
        return
    cases = [case for case in args.cases.split(",") if case]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        parser.error(f"unknown cases {unknown}; known: {', '.join(CASES)}")
    end_at = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).isoformat()
    server = Server(args.server, args.records, ["--end-at", end_at])
    postgres = Postgres() if "postgres" in cases else None
    results: Dict[str, Dict[str, Any]] = {}
    try:
        for case in cases:
            work = pathlib.Path(tempfile.mkdtemp(prefix=f"bench-sync-{case}-"))
            try:
                command = [sys.executable, __file__, "--child", case, "--url", server.url, "--work", str(work)]
                if postgres is not None:
                    command += ["--postgres", postgres.url]
                output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
                results[case] = json.loads(output.strip().splitlines()[-1])
            finally:
                shutil.rmtree(work, ignore_errors=True)
    finally:
        server.stop()
        if postgres is not None:
            postgres.stop()
    report(args.records, results)


def report(records: int, results: Dict[str, Dict[str, Any]]) -> None:
    print(f"{records:,} records, page size {PAGE_SIZE}, server in another process on loopback")
    print(f"{'case':52} {'run':12} {'records':>9} {'requests':>9} {'seconds':>8} {'records/s':>10} {'peak RSS':>9}  vs peer")
    peer_speed = None
    if "peer-duckdb" in results:
        first = results["peer-duckdb"]["first"]
        peer_speed = first["records"] / first["seconds"]
    for case, figures in results.items():
        for name in ("first", "incremental"):
            run = figures[name]
            speed = run["records"] / run["seconds"] if run["seconds"] else 0.0
            ratio = f"{speed / peer_speed:5.2f}x" if peer_speed and name == "first" else ""
            requests = "-" if run["requests"] is None else str(run["requests"])
            rss = f"{figures['peak_rss_mb']:7.0f} MB" if name == "first" else ""
            print(
                f"{LABELS[case]:52} {name:12} {run['records']:>9,} {requests:>9} {run['seconds']:>8.2f}"
                f" {speed:>10,.0f} {rss:>9}  {ratio}"
            )


if __name__ == "__main__":
    main()
