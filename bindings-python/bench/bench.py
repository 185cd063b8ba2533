"""Speed of unpod_calllogs against what a Python user would otherwise write, in one run.

    .venv/bin/python bindings-python/bench/bench.py [--records 100000] [--rounds 3] [--memory-records 1000000]
        [--floor PATH]

Prints medians and ratios: sequential iteration with Client, AsyncClient and all(concurrency=4)
against a requests + json page loop and an httpx + orjson page loop, each also as a multiple of the
transport floor with as many pages in flight (floor.py: the same pages fetched and dropped by a Rust
loop, one at a time for the loops, as many as our walk prefetches or `all` runs for ours; `--floor`
names its binary, else it is built); decoding one page of 1,000
records into objects against json.loads, orjson.loads and pydantic's model_validate_json; and the
resident memory while iterating a large result.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Callable, List, Optional

import httpx
import orjson
import pydantic
import requests

import floor
from unpod_calllogs import AsyncClient, Client, _native, records_from_json
from unpod_calllogs.testing import ReferenceServer

PAGE_SIZE = 100


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def median_time(fn: Callable[[], int], rounds: int, expected: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        count = fn()
        times.append(time.perf_counter() - started)
        assert count == expected, (count, expected)
    return statistics.median(times)


class Record(pydantic.BaseModel):
    source_number: Optional[str]
    destination_number: Optional[str]
    call_type: str
    call_status: str
    creation_time: pydantic.AwareDatetime
    start_time: Optional[pydantic.AwareDatetime]
    end_time: Optional[pydantic.AwareDatetime]
    call_duration: float
    end_reason: Optional[str]


class Page(pydantic.BaseModel):
    count: int
    status_code: int
    message: str
    data: List[Record]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-records", type=int, default=1_000_000)
    parser.add_argument("--floor", help="the transport floor's binary (default: built in release)")
    args = parser.parse_args()
    floor_binary = floor.program(args.floor)
    n = args.records

    with ReferenceServer(records=n, seed=42) as server:
        endpoint = f"{server.url}/api/v2/platform/call-logs/"
        headers = {"Authorization": f"Token {server.token}", "Org-Handle": server.org_handle}
        client = Client(server.token, server.org_handle, server.url)

        def ours_sync() -> int:
            return sum(1 for _ in client.call_logs.iter(page_size=PAGE_SIZE))

        def ours_async() -> int:
            async def walk() -> int:
                aclient = AsyncClient(server.token, server.org_handle, server.url)
                count = 0
                async for _ in aclient.call_logs.iter(page_size=PAGE_SIZE):
                    count += 1
                return count

            return asyncio.run(walk())

        def ours_all() -> int:
            return len(client.call_logs.all(page_size=PAGE_SIZE, concurrency=4))

        # A filter every record matches: the same server work; the client checks each record, or not.
        unverified = Client(server.token, server.org_handle, server.url, verify_filters=False)

        def ours_filtered(which: Client) -> Callable[[], int]:
            return lambda: sum(1 for _ in which.call_logs.iter(page_size=PAGE_SIZE, start_date="2000-01-01"))

        def requests_json() -> int:
            session = requests.Session()
            count, page = 0, 1
            while True:
                response = session.get(endpoint, params={"page": page, "page_size": PAGE_SIZE}, headers=headers)
                data = json.loads(response.content)["data"]
                count += len(data)
                if len(data) < PAGE_SIZE:
                    return count
                page += 1

        def httpx_orjson() -> int:
            with httpx.Client(headers=headers) as session:
                count, page = 0, 1
                while True:
                    response = session.get(endpoint, params={"page": page, "page_size": PAGE_SIZE})
                    data = orjson.loads(response.content)["data"]
                    count += len(data)
                    if len(data) < PAGE_SIZE:
                        return count
                    page += 1

        # Each with the number of pages it has in flight, the floor's for its row.
        prefetch = _native.DEFAULT_PREFETCH
        walks = [
            ("requests + json loop (baseline)", requests_json, 1),
            ("httpx + orjson loop", httpx_orjson, 1),
            ("Client.call_logs.iter", ours_sync, prefetch),
            ("AsyncClient.call_logs.iter", ours_async, prefetch),
            ("Client.call_logs.all(concurrency=4)", ours_all, 4),
            ("Client.call_logs.iter, start_date", ours_filtered(client), prefetch),
            ("  the same, verify_filters=False", ours_filtered(unverified), prefetch),
        ]
        floors = {
            in_flight: floor.median_seconds(
                floor_binary, server.url, server.token, server.org_handle, PAGE_SIZE, args.rounds, n, in_flight
            )
            for in_flight in sorted({w[2] for w in walks})
        }
        print(f"iterate {n} records, page_size {PAGE_SIZE}, median of {args.rounds} (reference server in process)")
        base = None
        times = []
        for name, fn, in_flight in walks:
            seconds = median_time(fn, args.rounds, n)
            times.append(seconds)
            base = base or seconds
            print(
                f"  {name:<38} {seconds * 1e3:9.1f} ms  {n / seconds:10.0f} rec/s  {base / seconds:6.2f}x faster than baseline"
                f"  {seconds / floors[in_flight]:6.2f}x the floor ({in_flight} in flight)"
            )
        for in_flight, seconds in floors.items():
            name = f"transport floor, {in_flight} in flight"
            print(f"  {name:<38} {seconds * 1e3:9.1f} ms  {n / seconds:10.0f} rec/s")
        print(f"  cost of checking every record against the filters: {(times[-2] / times[-1] - 1) * 100:+.1f}%")

        body = requests.get(endpoint, params={"page_size": 1000}, headers=headers).content
        decoders = [
            ("orjson.loads -> dicts (baseline)", lambda: len(orjson.loads(body)["data"])),
            ("json.loads -> dicts", lambda: len(json.loads(body)["data"])),
            ("pydantic v2 model_validate_json", lambda: len(Page.model_validate_json(body).data)),
            ("records_from_json -> CallLog objects", lambda: len(records_from_json(body))),
        ]
        print("decode one page of 1,000 records, median of 200")
        base = None
        for name, fn in decoders:
            seconds = median_time(fn, 200, 1000)
            base = base or seconds
            print(f"  {name:<38} {seconds * 1e6:9.1f} us  {seconds / base:6.2f}x the time of orjson")

    if args.memory_records:
        with ReferenceServer(records=args.memory_records, seed=1) as big:
            client = Client(big.token, big.org_handle, big.url)
            marks = []
            for index, _ in enumerate(client.call_logs.iter(page_size=1000)):
                if index % (args.memory_records // 10) == 0:
                    marks.append(rss_mib())
            print(f"memory while iterating {args.memory_records} records (RSS MiB at each tenth, server included):")
            print("  " + " ".join(f"{m:.0f}" for m in marks) + f"  -> growth after the first tenth: {marks[-1] - marks[1]:+.1f} MiB")


if __name__ == "__main__":
    main()
