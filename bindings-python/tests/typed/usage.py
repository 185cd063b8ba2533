# pyright: strict
"""Typed usage of the public API: checked by pyright (strict) and mypy (--strict) in the tests."""

import asyncio
import datetime
import io
from typing import Dict, List, Optional, Union

import pandas
import polars

from unpod_calllogs import (
    AsyncClient,
    CallLog,
    CallLogPage,
    CallLogParams,
    CallLogTable,
    CallStatus,
    CallType,
    Client,
    ConfigError,
    InvalidQueryError,
    Response,
    ServerContractError,
    SyncSummary,
)


def read(client: Client) -> None:
    summary: SyncSummary = client.call_logs.sync(
        "calls.db", call_type="inbound", max_records=1000, settle=30.0, progress=lambda p: print(p["records"])
    )
    until: datetime.datetime = summary.until
    print(summary.new + summary.updated, until, summary.start)
    page: CallLogPage = client.call_logs.list(
        page=1, page_size=50, call_type="inbound", call_status=CallStatus.NO_ANSWER, timeout=5.0
    )
    response: Response = page.response
    request_id: Optional[str] = response.request_id
    headers: Dict[str, str] = response.headers
    first: CallLog = page.data[0]
    kind: CallType = first.call_type
    status: CallStatus = first.call_status
    when: datetime.datetime = first.creation_time
    seconds: Union[int, float] = first.call_duration
    for log in client.call_logs.iter(start_date=datetime.date(2026, 2, 1), limit=10, max_retries=0):
        print(log.destination_number, log.end_reason, log.to_dict())
    records: List[CallLog] = client.call_logs.all(concurrency=8, call_status="no-answer")
    filters: CallLogParams = {"call_type": CallType.OUTBOUND, "end_date": "2026-02-07"}
    written: int = client.call_logs.export("calls.csv", **filters)
    written += client.call_logs.export(io.BytesIO(), format="ndjson", extra_headers={"X-Trace": "1"})
    table: CallLogTable = client.call_logs.to_arrow(call_type="inbound")
    frame: pandas.DataFrame = table.to_pandas()
    lazy: polars.DataFrame = table.to_polars()
    patient: Client = client.with_options(timeout=300, max_retries=5, headers={"X-Team": "billing"})
    print(request_id, headers, kind, status, when, seconds, records, written, frame, lazy, patient)
    try:
        client.call_logs.list(page_size=0)
    except InvalidQueryError as error:
        print(error.parameter, error.rule)
    except ServerContractError as error:
        print(error.violation, error.parameter, error.page)
    except ConfigError as error:
        print(error)


async def read_async() -> None:
    async with AsyncClient(timeout=10).with_options(max_retries=1) as client:
        page = await client.call_logs.list(call_status=CallStatus.COMPLETED)
        following = await page.next_page()
        async for log in client.call_logs.iter(page_size=100, call_type="outbound"):
            print(log.call_status.is_documented)
        table = await client.call_logs.to_arrow()
        count: int = await client.call_logs.export("calls.ndjson")
        print(page.count, following, len(table), count)


if __name__ == "__main__":
    read(Client())
    asyncio.run(read_async())
