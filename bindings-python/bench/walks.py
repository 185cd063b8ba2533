"""How long until every record is processed: walks against a reference server in another process,
at several added latencies (and optionally over a slow, compressing link), all in one run.

    cargo build --release -p calllogs-contract
    .venv/bin/python bindings-python/bench/walks.py [--records 20000] [--latency-ms 0,5,50] [--rounds 3]
        [--bandwidth BYTES_PER_SEC --compress] [--memory-records 1000000] [--floor PATH]

Every variant reads `creation_time`, `call_status` and `call_duration` of every record (the
baselines parse the timestamp with `datetime.fromisoformat`). Prints, per latency, the median of
each and its ratio to the best sequential peer, to `all(concurrency=4)` and to the transport floor
with as many pages in flight (floor.py: one for the sequential walks, four for the others; `--floor`
names its binary, else it is built), and the floors themselves; rounds rotate the order.
`--memory-records` then walks that many records with prefetch 4 and prints this process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import pathlib
import resource
import statistics
import time
from typing import Any, Callable, Dict, Iterable, List, Tuple

import httpx
import orjson
import requests

import floor
from _server import Server
from unpod_calllogs import AsyncClient, CallLog, Client

PAGE_SIZE = 100
CONCURRENCY = 4
ROOT = pathlib.Path(__file__).resolve().parents[2]


def touch_ours(records: Iterable[CallLog]) -> int:
    count = 0
    for record in records:
        record.creation_time, record.call_status, record.call_duration
        count += 1
    return count


def touch_dicts(records: List[Dict[str, Any]]) -> int:
    for record in records:
        datetime.datetime.fromisoformat(record["creation_time"]), record["call_status"], record["call_duration"]
    return len(records)


def variants(server: Server) -> Dict[str, Callable[[], int]]:
    endpoint = f"{server.url}/api/v2/platform/call-logs/"
    headers = {"Authorization": f"Token {server.token}", "Org-Handle": server.org_handle}
    client = Client(server.token, server.org_handle, server.url)

    def sequential(get: Callable[[int], List[Dict[str, Any]]]) -> int:
        count, page = 0, 1
        while True:
            data = get(page)
            count += touch_dicts(data)
            if len(data) < PAGE_SIZE:
                return count
            page += 1

    def requests_json() -> int:
        session = requests.Session()
        session.headers.update(headers)

        def get(page: int) -> List[Dict[str, Any]]:
            response = session.get(endpoint, params={"page": page, "page_size": PAGE_SIZE})
            return json.loads(response.content)["data"]  # type: ignore[no-any-return]

        return sequential(get)

    def httpx_orjson() -> int:
        with httpx.Client(headers=headers) as session:

            def get(page: int) -> List[Dict[str, Any]]:
                response = session.get(endpoint, params={"page": page, "page_size": PAGE_SIZE})
                return orjson.loads(response.content)["data"]  # type: ignore[no-any-return]

            return sequential(get)

    def httpx_async_concurrent() -> int:
        async def walk() -> int:
            async with httpx.AsyncClient(headers=headers) as session:

                async def get(page: int) -> Dict[str, Any]:
                    response = await session.get(endpoint, params={"page": page, "page_size": PAGE_SIZE})
                    return orjson.loads(response.content)  # type: ignore[no-any-return]

                first = await get(1)
                count = touch_dicts(first["data"])
                pages = -(-first["count"] // PAGE_SIZE)
                for start in range(2, pages + 1, CONCURRENCY):
                    batch = await asyncio.gather(*(get(p) for p in range(start, min(start + CONCURRENCY, pages + 1))))
                    for body in batch:
                        count += touch_dicts(body["data"])
                return count

        return asyncio.run(walk())

    def ours_iter(prefetch: int) -> Callable[[], int]:
        return lambda: touch_ours(client.call_logs.iter(page_size=PAGE_SIZE, prefetch=prefetch))

    def ours_async_iter() -> int:
        async def walk() -> int:
            aclient = AsyncClient(server.token, server.org_handle, server.url)
            count = 0
            async for record in aclient.call_logs.iter(page_size=PAGE_SIZE):
                record.creation_time, record.call_status, record.call_duration
                count += 1
            return count

        return asyncio.run(walk())

    def ours_all() -> int:
        return touch_ours(client.call_logs.all(page_size=PAGE_SIZE, concurrency=CONCURRENCY))

    return {
        "requests + json": requests_json,
        "httpx + orjson": httpx_orjson,
        "httpx.AsyncClient, 4 pages at once": httpx_async_concurrent,
        "iter(prefetch=0)": ours_iter(0),
        "iter(prefetch=1)": ours_iter(1),
        "iter(prefetch=4)": ours_iter(4),
        "AsyncClient.iter (prefetch 4)": ours_async_iter,
        "all(concurrency=4)": ours_all,
    }


# The pages each variant has in flight, the floor's for its row.
IN_FLIGHT = {
    "requests + json": 1,
    "httpx + orjson": 1,
    "httpx.AsyncClient, 4 pages at once": CONCURRENCY,
    "iter(prefetch=0)": 1,
    "iter(prefetch=1)": 1,
    "iter(prefetch=4)": CONCURRENCY,
    "AsyncClient.iter (prefetch 4)": CONCURRENCY,
    "all(concurrency=4)": CONCURRENCY,
}


SEQUENTIAL_PEERS = ("requests + json", "httpx + orjson")


def measure(server: Server, records: int, rounds: int) -> Dict[str, float]:
    runs = variants(server)
    names = list(runs)
    times: Dict[str, List[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            count = runs[name]()
            times[name].append(time.perf_counter() - started)
            assert count == records, (name, count, records)
    return {name: statistics.median(values) for name, values in times.items()}


def report(title: str, medians: Dict[str, float], floors: Dict[int, float]) -> None:
    best_peer = min(medians[name] for name in SEQUENTIAL_PEERS)
    everything = medians["all(concurrency=4)"]
    print(title)
    for name, seconds in medians.items():
        in_flight = IN_FLIGHT[name]
        print(
            f"  {name:36} {seconds * 1000:9.1f} ms  {best_peer / seconds:6.2f}x faster than the best sequential peer"
            f"  {seconds / everything:5.2f}x the time of all()  {seconds / floors[in_flight]:5.2f}x the floor ({in_flight} in flight)"
        )
    for in_flight, seconds in floors.items():
        print(f"  {f'transport floor, {in_flight} in flight':36} {seconds * 1000:9.1f} ms")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--latency-ms", default="0,5,50")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bandwidth", type=int, help="bytes a second per connection")
    parser.add_argument("--compress", action="store_true", help="the server gzips when asked")
    parser.add_argument("--memory-records", type=int, default=0)
    parser.add_argument("--server", default=os.fspath(ROOT / "target" / "release" / "calllogs-contract"))
    parser.add_argument("--floor", help="the transport floor's binary (default: built in release)")
    args = parser.parse_args()
    floor_binary = floor.program(args.floor)

    link: List[str] = ["--compress"] if args.compress else []
    if args.bandwidth:
        link += ["--bandwidth", str(args.bandwidth)]
    for latency in (int(ms) for ms in args.latency_ms.split(",")):
        with Server(args.server, args.records, ["--latency-ms", str(latency), *link]) as server:
            medians = measure(server, args.records, args.rounds)
            floors = {
                in_flight: floor.median_seconds(
                    floor_binary, server.url, server.token, server.org_handle, PAGE_SIZE, args.rounds, args.records, in_flight
                )
                for in_flight in sorted(set(IN_FLIGHT.values()))
            }
        shape = f", {args.bandwidth:,} B/s" if args.bandwidth else ""
        shape += ", gzip" if args.compress else ""
        report(f"{args.records:,} records, page_size {PAGE_SIZE}, {latency} ms per request{shape}; median of {args.rounds}", medians, floors)

    if args.memory_records:
        with Server(args.server, args.memory_records, []) as server:
            client = Client(server.token, server.org_handle, server.url)
            before = peak_rss_mib()
            tenth = max(args.memory_records // 10, 1)
            marks: List[Tuple[int, float]] = []
            for index, record in enumerate(client.call_logs.iter(page_size=1000, prefetch=4)):
                record.creation_time, record.call_status, record.call_duration
                if index % tenth == 0:
                    marks.append((index, peak_rss_mib()))
        print(f"peak RSS of this process while iterating {args.memory_records:,} records, prefetch 4 (server in another process):")
        print(f"  before {before:.0f} MiB; " + ", ".join(f"{mib:.0f}" for _, mib in marks) + f" MiB at each tenth; end {peak_rss_mib():.0f} MiB")
        print(f"  growth after the first tenth: {peak_rss_mib() - marks[1][1] if len(marks) > 1 else 0:+.1f} MiB")


if __name__ == "__main__":
    main()
