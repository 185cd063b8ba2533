"""`calllogs-contract run --openapi` against list servers nobody here wrote (servers.py): the stock
server passes, with only the checks its document gives no basis for skipped; each fault of its own
configuration fails the check meant to find it. Run by scripts/test.sh with the .venv's pytest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servers import DRF_TOKEN, SERVERS, Server, outcomes, reference_records, run_openapi, running

# What each stock server's document gives no basis for.
SKIPPED = {
    "json-server 0.17": ["list.cursor-ends", "list.auth", "list.isolation"],
    "Django REST framework + django-filter": ["list.cursor-ends", "list.isolation"],
    "Datasette": ["list.past-last", "list.auth", "list.isolation"],
}


@pytest.fixture(scope="session")
def records() -> list[dict[str, object]]:
    return reference_records()


@pytest.fixture(scope="session")
def stored(records: list[dict[str, object]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {s.name: s.store(records, tmp_path_factory.mktemp("server")) for s in SERVERS}


CASES = [(s, fault) for s in SERVERS for fault in [None, *s.faults]]


@pytest.mark.parametrize(("server", "fault"), CASES, ids=[f"{s.name}-{f or 'stock'}" for s, f in CASES])
def test_list_server(server: Server, fault: str | None, stored: dict[str, Path]) -> None:
    with running(server, stored[server.name], fault) as url:
        status, report, _ = run_openapi(server, url)
    shown = json.dumps(report, indent=1)
    assert DRF_TOKEN.split()[1] not in shown
    if fault is None:
        assert (status, outcomes(report, "failed")) == (0, []), shown
        assert outcomes(report, "skipped") == SKIPPED[server.name], shown
    else:
        assert status == 1
        assert server.faults[fault] in outcomes(report, "failed"), shown
