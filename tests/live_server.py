"""callfunnel as a real server process on a loopback port (uvicorn, killable), and users for it."""

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

from app.auth.models import Role
from app.database import Database
from app.operators import service as operators_service
from tests.support.app import GENERIC_SECRET, MANGO_KEY, MANGO_SALT

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``uvicorn app.main:app`` in its own process on a loopback port; ``kill()`` is SIGKILL."""

    def __init__(self, database_url: str, log: Path, workers: int = 1, **settings: str) -> None:
        self.port = free_port()
        self.workers = workers
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = os.environ | {
            "CALLFUNNEL_DATABASE_URL": database_url,
            "CALLFUNNEL_GENERIC_SECRET": GENERIC_SECRET,
            "CALLFUNNEL_MANGO_API_KEY": MANGO_KEY,
            "CALLFUNNEL_MANGO_API_SALT": MANGO_SALT,
            "CALLFUNNEL_LOG_LEVEL": "WARNING",
            "CALLFUNNEL_ADMIN_PASSWORD_FILE": "",  # the tests make their own users
            "CALLFUNNEL_RECORDING_CACHE_DIR": str(log.parent / "recordings"),  # not the working directory
        }
        self.env |= {f"CALLFUNNEL_{name.upper()}": str(value) for name, value in settings.items()}
        self.process: subprocess.Popen | None = None

    async def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                self.command(),
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

    def command(self) -> list[str]:
        """uvicorn itself for one process; several workers the way production starts them (``callfunnel serve``)."""
        if self.workers > 1:
            serve = ["-c", "from app.cli import main; main()", "serve", "--workers", str(self.workers)]
            return [sys.executable, *serve, "--host", "127.0.0.1", "--port", str(self.port)]
        uvicorn = ["-m", "uvicorn", "app.main:app", "--timeout-keep-alive", "75"]
        return [sys.executable, *uvicorn, "--host", "127.0.0.1", "--port", str(self.port)]

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
async def server(database_url: str, tmp_path: Path, workers: int = 1, **settings) -> AsyncIterator[Server]:
    instance = Server(database_url, tmp_path / "server.log", workers, **settings)
    await instance.start()
    try:
        yield instance
    finally:
        instance.stop()


async def user_token(database_url: str, role: Role = Role.admin, **fields) -> str:
    """A new user's bearer token, written straight into the server's database."""
    db = Database(database_url)
    try:
        name = f"{role}-{time.time_ns()}"
        _, token = await db.run(lambda s: operators_service.create_user(session=s, name=name, role=role, **fields))
        return token
    finally:
        await db.dispose()


async def admin_token(database_url: str) -> str:
    return await user_token(database_url, Role.admin)
