"""Time to a pandas DataFrame of every record, fetch included, against the ways a user would
otherwise build one; all in one run, the same server and page size for each.

    .venv/bin/python bindings-python/bench/dataframe.py [--records 100000] [--rounds 5] [--floor PATH]

- ours: `client.call_logs.to_arrow().to_pandas()` (columns built in Rust, handed over as Arrow)
- dict loop: `pd.DataFrame([r.to_dict() for r in client.call_logs.all()])`
- json_normalize: requests + `pd.json_normalize` of the raw pages, times parsed with `pd.to_datetime`

Every variant fetches with the same page size; `all` and `to_arrow` fetch 4 pages at a time, the
requests loop one. Prints the median of each and the ratios, to ours and to the transport floor
(floor.py: the same pages fetched 4 at a time and dropped, by a Rust loop; `--floor` names its
binary, else it is built); rounds rotate the order.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Dict, List

import pandas as pd
import requests

import floor
from unpod_calllogs import Client
from unpod_calllogs.testing import ReferenceServer

PAGE_SIZE = 1000
TIMES = ["creation_time", "start_time", "end_time"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--floor", help="the transport floor's binary (default: built in release)")
    args = parser.parse_args()
    floor_binary = floor.program(args.floor)

    with ReferenceServer(records=args.records) as server:
        client = Client(server.token, server.org_handle, server.url)
        session = requests.Session()
        session.headers.update({"Authorization": f"Token {server.token}", "Org-Handle": server.org_handle})

        def ours() -> pd.DataFrame:
            return client.call_logs.to_arrow(page_size=PAGE_SIZE).to_pandas()

        def dict_loop() -> pd.DataFrame:
            return pd.DataFrame([r.to_dict() for r in client.call_logs.all(page_size=PAGE_SIZE)])

        def json_normalize() -> pd.DataFrame:
            records: List[Dict[str, object]] = []
            page = 1
            while True:
                body = session.get(client.endpoint, params={"page": page, "page_size": PAGE_SIZE}).json()
                records.extend(body["data"])
                if page * PAGE_SIZE >= body["count"]:
                    break
                page += 1
            frame = pd.json_normalize(records)
            for column in TIMES:
                frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
            return frame

        variants: Dict[str, Callable[[], pd.DataFrame]] = {
            "to_arrow().to_pandas()": ours,
            "DataFrame([r.to_dict() ...])": dict_loop,
            "requests + json_normalize": json_normalize,
        }
        times: Dict[str, List[float]] = {name: [] for name in variants}
        names = list(variants)
        for round_number in range(args.rounds):
            for name in names[round_number % len(names) :] + names[: round_number % len(names)]:
                started = time.perf_counter()
                frame = variants[name]()
                times[name].append(time.perf_counter() - started)
                assert len(frame) == args.records, (name, len(frame))
                assert str(frame["creation_time"].dtype).startswith("datetime64"), (name, frame.dtypes)

        transport = floor.median_seconds(
            floor_binary, server.url, server.token, server.org_handle, PAGE_SIZE, args.rounds, args.records, 4
        )

    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["to_arrow().to_pandas()"]
    print(f"pandas DataFrame of {args.records:,} records, page_size {PAGE_SIZE}, median of {args.rounds} rounds")
    for name, seconds in [*medians.items(), ("transport floor (4 in flight)", transport)]:
        print(
            f"  {name:32} {seconds * 1000:9.1f} ms  {seconds / base:6.2f}x the time of ours"
            f"  {seconds / transport:6.2f}x the floor"
        )


if __name__ == "__main__":
    main()
