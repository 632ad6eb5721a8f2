"""Acknowledged means stored: processing bugs and restarts lose nothing."""

import asyncio

from sqlalchemy import select
from typer.testing import CliRunner

from app.auth.models import Role
from app.cli import cli
from app.database import Database
from app.flows import call_events
from app.inbox.models import InboxItem
from app.inbox.processor import InboxProcessor
from app.migrations import upgrade_to_head_async
from app.settings import get_settings
from tests.support.app import running
from tests.support.calls import missed, play
from tests.support.inbox import stored_before_a_crash

T = 1750000000


async def rows(db) -> list[InboxItem]:
    return await db.read(lambda s: list(s.execute(select(InboxItem).order_by(InboxItem.id)).scalars()))


async def test_a_processing_bug_keeps_the_row_and_replay_recovers_it(settings, monkeypatch):
    real_apply = call_events.apply_events

    def buggy(*, session, vendor, events, policy):
        if any(event.call_key == "boom" for event in events):
            raise RuntimeError("simulated bug")
        return real_apply(session=session, vendor=vendor, events=events, policy=policy)

    monkeypatch.setattr(call_events, "apply_events", buggy)
    async with running(settings) as cf:
        supervisor = await cf.user("sup", Role.supervisor)
        await play(cf, missed("boom", T), missed("fine", T + 60, "79161112233"))
        calls = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
        assert [c["external_id"] for c in calls] == ["fine"]
        failed = [row for row in await rows(cf.db) if row.error]
        assert failed and all("simulated bug" in row.error and row.handled_at is None for row in failed)

    # The fix is deployed; the command runs with the server stopped (a running server's processor
    # would take its share of the rows put back, and the command would count only its own).
    monkeypatch.setattr(call_events, "apply_events", real_apply)
    monkeypatch.setenv("CALLFUNNEL_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["inbox", "replay"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"{len(failed)} failed webhook(s) put back; processed {len(failed)} webhook(s) here" in result.output
    async with running(settings) as cf:
        supervisor = await cf.user("sup-2", Role.supervisor)
        calls = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
        assert sorted(c["external_id"] for c in calls) == ["boom", "fine"]
        assert all(row.handled_at and not row.error for row in await rows(cf.db))


async def test_rows_stored_before_a_crash_are_processed_on_start(settings):
    await stored_before_a_crash(settings.database_url, missed("crash", T))
    async with running(settings) as cf:
        supervisor = await cf.user("sam", Role.supervisor)
        await cf.settle()
        [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
        assert (call["external_id"], call["outcome"]) == ("crash", "missed")


async def test_an_idle_processor_looks_with_reads_and_takes_what_another_process_stores(settings):
    """Polling for rows another process stored opens no writing transaction while there are none
    (on SQLite each would be a turn at the write lock, twenty a second for a separate processor)."""
    await upgrade_to_head_async(settings.database_url)
    db = Database(settings.database_url)
    writes, handled = [], []
    real_run = db.run

    async def counted_run(work, **kwargs):
        writes.append(work)
        return await real_run(work, **kwargs)

    db.run = counted_run
    processor = InboxProcessor(db, lambda session, items: handled.extend(i.dedup_key for i in items), poll_seconds=0.02)
    task = asyncio.create_task(processor.run())
    try:
        await asyncio.sleep(0.5)  # some twenty polls of an empty inbox
        assert len(writes) == 1  # the look at start, for what an earlier run left
        script = list(missed("other", T))
        await stored_before_a_crash(settings.database_url, script)  # (its own Database: no wake-up)
        async with asyncio.timeout(5):  # (the handler runs inside the batch's transaction: until it commits)
            while len(handled) < len(script) or not all(row.handled_at for row in await rows(db)):
                await asyncio.sleep(0.02)
        assert len(handled) == len(script)  # each once
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await db.dispose()
