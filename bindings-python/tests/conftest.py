import pytest

from unpod_calllogs import Client
from unpod_calllogs.testing import ReferenceServer


@pytest.fixture(scope="module")
def server():
    with ReferenceServer(records=500, seed=7) as server:
        yield server


@pytest.fixture
def client(server):
    return Client(server.token, server.org_handle, server.url)
