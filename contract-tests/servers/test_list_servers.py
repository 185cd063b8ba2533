"""`calllogs-contract run --openapi` against list servers nobody here wrote (servers.py): the stock
server passes, with only the checks its document gives no basis for skipped; each fault of its own
configuration fails the check meant to find it. The same holds through each variant of its document
(its pagination declared by another extension), for the faults that variant still gives a basis
for. Run by scripts/test.sh with the .venv's pytest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servers import DRF_TOKEN, SERVERS, Server, Variant, outcomes, reference_records, run_openapi, running

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


CASES = [
    (s, variant, fault)
    for s in SERVERS
    for variant, faults in [(None, list(s.faults)), *((v, v.faults) for v in s.variants)]
    for fault in [None, *faults]
]


def case_id(server: Server, variant: Variant | None, fault: str | None) -> str:
    return "-".join([server.name, *([variant.name] if variant else []), fault or "stock"])


@pytest.mark.parametrize(("server", "variant", "fault"), CASES, ids=[case_id(*case) for case in CASES])
def test_list_server(
    server: Server, variant: Variant | None, fault: str | None, stored: dict[str, Path], tmp_path: Path
) -> None:
    document = server.document_in(tmp_path, variant)
    with running(server, stored[server.name], fault) as url:
        status, report, _ = run_openapi(server, url, document)
    shown = json.dumps(report, indent=1)
    assert DRF_TOKEN.split()[1] not in shown
    if fault is None:
        assert (status, outcomes(report, "failed")) == (0, []), shown
        assert outcomes(report, "skipped") == (variant.skipped if variant else SKIPPED[server.name]), shown
    else:
        assert status == 1
        assert server.faults[fault] in outcomes(report, "failed"), shown
