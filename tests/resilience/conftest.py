"""The worst day: callfunnel as a real server process (``tests/live_server.py``), the simulated
PBX's APIs on loopback, and checks of the invariants of ``docs/invariants.md`` through the API."""

import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from telephony.simulator.history import PbxHistory
from telephony.simulator.pbx_api import PbxApi
from telephony.simulator.run import serving
from tests.live_server import free_port
from tests.support.app import MANGO_KEY, MANGO_SALT, POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]
PG_CLUSTER = os.environ.get("CALLFUNNEL_TEST_PG_CLUSTER")  # scripts/run-tests.sh: the cluster's directory


@pytest.fixture
def pbx_history() -> PbxHistory:
    return PbxHistory()


@pytest.fixture
async def mango_api(pbx_history) -> AsyncIterator[tuple[PbxApi, str]]:
    """The simulated MANGO's command and statistics API on loopback: ``(api, base URL for callfunnel)``."""
    api = PbxApi(vendor="mango", history=pbx_history, mango_key=MANGO_KEY, mango_salt=MANGO_SALT)
    port = free_port()
    async with serving(api, port):
        yield api, f"http://127.0.0.1:{port}/vpbx/"


async def all_pages(http: httpx.AsyncClient, path: str, **params) -> list[dict]:
    items, offset = [], 0
    while True:
        page = (await http.get(path, params=params | {"limit": 200, "offset": offset})).json()
        items += page["items"]
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            return items


def pg_cluster(action: str) -> None:
    """Stops (``pause``) or starts again (``resume``) the test PostgreSQL cluster."""
    subprocess.run([ROOT / "scripts" / "postgres-cluster.sh", action, PG_CLUSTER], check=True)


needs_postgres_cluster = pytest.mark.skipif(
    not (POSTGRES_URL and PG_CLUSTER), reason="needs the PostgreSQL cluster of scripts/run-tests.sh"
)
