"""The worst day: callfunnel as a real server process (uvicorn, killable), the simulated PBX's
APIs on loopback, and checks of the invariants of ``docs/invariants.md`` through the API."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from app.auth import service as auth_service
from app.auth.models import Role
from app.database import Database
from telephony.simulator.history import PbxHistory
from telephony.simulator.pbx_api import PbxApi
from telephony.simulator.run import serving
from tests.conftest import GENERIC_SECRET, MANGO_KEY, MANGO_SALT, POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]
PG_CLUSTER = os.environ.get("CALLFUNNEL_TEST_PG_CLUSTER")  # scripts/run-tests.sh: the cluster's directory


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``uvicorn app.main:app`` in its own process on a loopback port; ``kill()`` is SIGKILL."""

    def __init__(self, database_url: str, log: Path, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = os.environ | {
            "CALLFUNNEL_DATABASE_URL": database_url,
            "CALLFUNNEL_GENERIC_SECRET": GENERIC_SECRET,
            "CALLFUNNEL_MANGO_API_KEY": MANGO_KEY,
            "CALLFUNNEL_MANGO_API_SALT": MANGO_SALT,
            "CALLFUNNEL_LOG_LEVEL": "WARNING",
        }
        self.env |= {f"CALLFUNNEL_{name.upper()}": str(value) for name, value in settings.items()}
        self.process: subprocess.Popen | None = None

    async def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "app.main:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--timeout-keep-alive",
                    "75",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        async with httpx.AsyncClient() as client, asyncio.timeout(60):
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}: {self.log.read_text()[-3000:]}")
                try:
                    if (await client.get(f"{self.url}/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@asynccontextmanager
async def server(database_url: str, tmp_path: Path, **settings) -> AsyncIterator[Server]:
    instance = Server(database_url, tmp_path / "server.log", **settings)
    await instance.start()
    try:
        yield instance
    finally:
        instance.stop()


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


async def admin_token(database_url: str) -> str:
    db = Database(database_url)
    try:
        async with db.session() as session:
            _, token = await auth_service.create(session=session, name=f"admin-{time.time_ns()}", role=Role.admin)
        return token
    finally:
        await db.dispose()


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
