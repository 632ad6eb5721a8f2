"""``PROCESSING=separate``: the server stores and acknowledges webhooks and leaves them to
``callfunnel process``, another process on the same database, which turns them into calls and
callbacks and keeps the calls report's rollups; its live events reach the server's supervisor
feed, and a SIGTERM stops it cleanly."""

import asyncio
import signal
import subprocess
import sys

from sqlalchemy import func, select

from app.auth.models import Role
from app.database import Database
from app.reports.models import CallRollup, CallRollupPending
from tests.live_server import ROOT, server
from tests.realtime.live import Client
from tests.support.floor import CLIENT, UNPROCESSED, Floor


async def count(database_url: str, query) -> int:
    db = Database(database_url)
    try:
        return await db.read(lambda s: s.execute(query).scalar_one())
    finally:
        await db.dispose()


async def rollups_kept(database_url: str) -> bool:
    """Whether every noted call is in the rollups (the job runs every few seconds)."""
    for _ in range(150):
        if not await count(database_url, select(func.count()).select_from(CallRollupPending)):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_separate_processor_turns_what_the_server_stores_into_calls(database_url, tmp_path):
    async with server(database_url, tmp_path, processing="separate", event_poll_seconds="0.1") as web:
        floor = Floor(web.url, database_url)
        processor = None
        try:
            await floor.person("boss", Role.admin)
            sam = await floor.person("sam", Role.supervisor)
            feed = await Client.open(
                f"{web.url.replace('http', 'ws')}/ws/supervisor?token={sam['headers']['Authorization'].split()[1]}"
            )
            await feed.next("snapshot")

            assert (await floor.incoming("sep-1", CLIENT))["action"] == "proceed"
            await floor.pbx("ended", "sep-1", reason="caller_hung_up")
            await asyncio.sleep(0.3)  # (time enough for a server that processed them itself)
            assert await count(database_url, UNPROCESSED) == 2  # stored, acknowledged, left to the processor

            command = [sys.executable, "-c", "from app.cli import main; main()", "process", "--poll", "0.02"]
            with (tmp_path / "process.log").open("w") as log:
                processor = subprocess.Popen(
                    command, cwd=ROOT, env=web.env | {"CALLFUNNEL_LOG_LEVEL": "INFO"}, stdout=log, stderr=log
                )
            missed = await feed.next("missed_call", timeout=20)  # (committed by the processor, sent by the server)
            assert (missed["number"], missed["callback"]["status"]) == (CLIENT, "open")
            assert (await floor.call_of("sep-1"))["outcome"] == "abandoned"
            assert await rollups_kept(database_url)
            assert await count(database_url, select(func.sum(CallRollup.abandoned))) == 1

            processor.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(processor.wait, 15) == 0
            assert "processing stopped" in (tmp_path / "process.log").read_text()
            await feed.close()
        finally:
            if processor is not None and processor.poll() is None:
                processor.kill()
            await floor.close()
