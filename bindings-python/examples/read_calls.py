"""Reads call logs with the settings in the environment and prints them (the same lines as the Rust
example `read_calls`).

    UNPOD_PLATFORM_TOKEN=... UNPOD_ORG_HANDLE=... [UNPOD_BASE_URL=...] python read_calls.py [PAGE_SIZE] [LIMIT]
"""

import sys

from unpod_calllogs import Client

page_size = int(sys.argv[1]) if len(sys.argv) > 1 else 20
limit = int(sys.argv[2]) if len(sys.argv) > 2 else 10

with Client() as client:
    first = client.call_logs.list(page_size=page_size)
    print(f"{first.count} call logs in total; the newest {limit}:")
    for call in client.call_logs.iter(page_size=page_size, limit=limit):
        print(
            f"{call.creation_time:%Y-%m-%d %H:%M:%S}  {call.call_type.value:<8} {call.call_status.value:<9} "
            f"{call.call_duration:>5}s  {call.source_number or '-'} -> {call.destination_number or '-'}"
        )
