"""Secrets stay where they belong: never in a log line, and the SQLite file readable by its owner only."""

import os
import stat

import httpx
from websockets.asyncio.client import connect

from app.auth.models import Role
from tests.live_server import server, user_token
from tests.support.app import running, settings_for


async def test_tokens_tickets_and_keys_in_urls_never_reach_the_log(database_url, tmp_path):
    token = await user_token(database_url, Role.operator, extension="101")
    async with server(database_url, tmp_path) as live:
        async with httpx.AsyncClient(base_url=live.url) as http:
            await http.get("/api/calls", params={"token": token, "key": "zadarma-key-value"})
            ticket = (await http.post("/api/ws-ticket", headers={"Authorization": f"Bearer {token}"})).json()["ticket"]
        ws = live.url.replace("http", "ws")
        async with connect(f"{ws}/ws/operator?token={token}") as panel:
            await panel.recv()
        async with connect(f"{ws}/ws/operator?ticket={ticket}") as panel:
            await panel.recv()
    log = (tmp_path / "server.log").read_text()
    assert "Logging error" not in log and "Traceback" not in log
    assert '"GET /api/calls?token=[redacted]&key=[redacted] HTTP/1.1" 401' in log  # the access line is there...
    assert "/ws/operator?token=[redacted]" in log and "/ws/operator?ticket=[redacted]" in log
    for secret in (token, ticket, "zadarma-key-value"):
        assert secret not in log  # ...without the secrets


async def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "fresh.db"
    async with running(settings_for(f"sqlite+aiosqlite:///{path}")) as cf:
        await cf.user("olga", Role.operator)
        for name in (path, path.with_name("fresh.db-wal"), path.with_name("fresh.db-shm")):
            assert stat.S_IMODE(os.stat(name).st_mode) == 0o600, name
