"""Health as the person on call sees it: /health/live answers while the process does, and
/health/ready says whether to send traffic — 503 naming the failed check while the database is
behind the code or out of reach, 200 again once it is back; workers migrating at once take turns."""

import asyncio
import os
import sys
import time
import uuid

import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.migrations import head
from tests.live_server import ROOT, server
from tests.resilience.conftest import needs_postgres_cluster, pg_cluster
from tests.support.app import POSTGRES_URL, pg_dsn


async def test_ready_names_each_check_and_a_database_behind_the_code_is_not_ready(cf):
    assert (await cf.http.get("/health")).json() == {"status": "ok"}
    assert (await cf.http.get("/health/live")).status_code == 200
    ready = await cf.http.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "inbox_backlog": "ok", "scheduler": "ok"},
    }

    await cf.db.run(lambda s: s.execute(text("UPDATE alembic_version SET version_num = '0008'")))
    behind = await cf.http.get("/health/ready")
    assert behind.status_code == 503
    assert behind.json()["checks"]["migrations"] == f"at 0008, the code needs {head()}"
    await cf.db.run(lambda s: s.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head()}))
    assert (await cf.http.get("/health/ready")).status_code == 200


@needs_postgres_cluster
async def test_ready_is_503_with_the_reason_while_postgresql_is_stopped_and_200_after(database_url, tmp_path):
    async with server(database_url, tmp_path) as live, httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        assert (await http.get("/health/ready")).status_code == 200
        pg_cluster("pause")
        try:
            down = await http.get("/health/ready")
            assert down.status_code == 503
            assert down.json()["checks"]["database"].startswith("unreachable")
            assert (await http.get("/health/live")).status_code == 200  # alive: no reason to restart it
        finally:
            pg_cluster("resume")
        deadline = time.monotonic() + 30
        while (await http.get("/health/ready")).status_code != 200:
            assert time.monotonic() < deadline, "not ready after PostgreSQL came back"
            await asyncio.sleep(0.5)


@needs_postgres_cluster
async def test_workers_upgrading_an_empty_database_together_take_turns():
    name = f"t_empty_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(pg_dsn(POSTGRES_URL, "postgres"))
    await admin.execute(f"CREATE DATABASE {name}")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        env = os.environ | {"CALLFUNNEL_DATABASE_URL": url}
        command = ["-c", "from app.cli import main; main()", "db", "upgrade"]
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable, *command, cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
            )
            for _ in range(3)
        ]
        results = await asyncio.gather(*(worker.communicate() for worker in workers))
        assert [worker.returncode for worker in workers] == [0, 0, 0], [err.decode()[-500:] for _, err in results]
        database = await asyncpg.connect(pg_dsn(url, name))
        assert await database.fetchval("SELECT version_num FROM alembic_version") == head()
        await database.close()
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()
