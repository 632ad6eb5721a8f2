"""`callfunnel db backup` while a live server takes calls, then `callfunnel db restore` with the
server stopped: it starts again on the copy and the calls and their callbacks are there."""

import asyncio
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.auth.models import Role
from tests.live_server import ROOT, Server, user_token
from tests.support.app import POSTGRES_URL
from tests.support.desk import LINE
from tests.support.floor import Floor


def callfunnel(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"CALLFUNNEL_DATABASE_URL": database_url, "CALLFUNNEL_ADMIN_PASSWORD_FILE": ""}
    command = [sys.executable, "-c", "from app.cli import main; main()", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's backup; PostgreSQL's is pg_dump (tested below)")
async def test_a_backup_under_load_restores_with_its_calls_and_callbacks(database_url, tmp_path):
    copy = tmp_path / "backup.db"
    live = Server(database_url, tmp_path / "server.log")
    await live.start()
    floor = Floor(live.url, database_url)
    try:
        await floor.person("boss", Role.admin)
        await floor.person("olga", extension="101")
        await floor.queue(["olga"])
        for n in range(10):  # missed before the backup: each number gets its callback
            await missed(floor, n)

        backed_up = asyncio.Event()

        async def load() -> int:  # calls keep coming until a while after the copy is made
            n = 10
            while not backed_up.is_set() and n < 1000:
                await missed(floor, n)
                n += 1
            for extra in range(n, n + 5):
                await missed(floor, extra)
            return n + 5

        traffic = asyncio.create_task(load())
        await asyncio.sleep(0.5)
        made = await asyncio.to_thread(callfunnel, database_url, "db", "backup", str(copy))
        backed_up.set()
        sent = await traffic
        assert made.returncode == 0, made.stderr
        assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
        live_calls = (await floor.api("GET", "/api/calls"))["total"]
    finally:
        await floor.close()
        live.stop()
    with sqlite3.connect(copy) as backup:
        assert backup.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        copied = backup.execute("SELECT count(*) FROM call").fetchone()[0]
    assert 10 <= copied < live_calls == sent  # a snapshot taken mid-load

    restored = await asyncio.to_thread(callfunnel, database_url, "db", "restore", str(copy))
    assert restored.returncode == 0, restored.stderr
    live = Server(database_url, tmp_path / "server.log")
    await live.start()
    try:
        headers = {"Authorization": f"Bearer {await user_token(database_url, Role.admin)}"}
        async with httpx.AsyncClient(base_url=live.url, headers=headers) as http:
            calls = (await http.get("/api/calls", params={"limit": 500})).json()
            assert calls["total"] >= copied  # and webhooks stored but not yet processed then, processed now
            numbers = {c["number"] for c in calls["items"] if c["outcome"] == "missed"}
            callbacks = (await http.get("/api/callbacks", params={"status": "open", "limit": 500})).json()
            assert {cb["phone"] for cb in callbacks["items"]} == numbers and len(numbers) >= 10
    finally:
        live.stop()


async def missed(floor: Floor, n: int) -> None:
    await floor.pbx("incoming", f"call-{n}", **{"from": f"+7900555{n:04d}", "to": LINE})
    await floor.pbx("ended", f"call-{n}", reason="queue_timeout")


def test_postgresql_is_pointed_to_its_own_tools(tmp_path: Path):
    said = callfunnel("postgresql+asyncpg://callfunnel:secret@db.example:5432/callfunnel", "db", "backup", "x.dump")
    assert said.returncode == 1
    assert (
        "pg_dump --format=custom" in said.stderr and "postgresql://callfunnel@db.example:5432/callfunnel" in said.stderr
    )
    assert "secret" not in said.stderr
