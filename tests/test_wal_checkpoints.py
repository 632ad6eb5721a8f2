"""A SQLite commit never pays for a checkpoint: the log is copied into the database file by a
thread of its own."""

import asyncio
import os
import sqlite3

from sqlalchemy import text

from app.database import Database
from app.wal_checkpoints import WalCheckpoints

_MIB = 1024 * 1024


async def _write_eight_mib(db: Database) -> None:
    await db.run(lambda session: session.execute(text("CREATE TABLE IF NOT EXISTS filler (data BLOB)")))
    for _ in range(8):  # eight commits of a MiB: 2,000 pages, twice the size at which a commit checkpoints
        rows = [{"data": os.urandom(4000)} for _ in range(256)]
        await db.run(lambda session, rows=rows: session.execute(text("INSERT INTO filler VALUES (:data)"), rows))


async def test_the_writers_commits_leave_the_log_to_the_checkpoint_thread(tmp_path):
    path = tmp_path / "quiet.db"
    db = Database(f"sqlite+aiosqlite:///{path}", checkpoint_seconds=3600)  # (no round within the test)
    try:
        await _write_eight_mib(db)
        assert os.path.getsize(f"{path}-wal") > 8 * _MIB
        assert os.path.getsize(path) < _MIB  # no commit copied the log into the file
    finally:
        await db.dispose()


async def test_the_checkpoint_thread_copies_the_log_into_the_database_file(tmp_path):
    path = tmp_path / "checkpointed.db"
    db = Database(f"sqlite+aiosqlite:///{path}", checkpoint_seconds=0.05)
    try:
        await _write_eight_mib(db)
        async with asyncio.timeout(10):
            while os.path.getsize(path) < 8 * _MIB:
                await asyncio.sleep(0.05)
        count = await db.read(lambda session: session.execute(text("SELECT count(*) FROM filler")).scalar())
        assert count == 8 * 256
    finally:
        await db.dispose()


async def test_a_failed_round_is_tried_again(tmp_path, caplog):
    path = tmp_path / "late.db"  # (not there yet: the first rounds cannot open it, and never create it)
    checkpoints = WalCheckpoints(str(path), interval=0.05)
    try:
        await asyncio.sleep(0.2)
        assert not path.exists()
        assert "checkpointing the SQLite log failed" in caplog.text
        writer = sqlite3.connect(path)
        try:
            writer.execute("PRAGMA journal_mode=WAL")
            writer.execute("PRAGMA wal_autocheckpoint=0")
            writer.execute("CREATE TABLE filler (data BLOB)")
            with writer:
                writer.executemany("INSERT INTO filler VALUES (?)", [(os.urandom(4000),) for _ in range(2048)])
            async with asyncio.timeout(10):
                while os.path.getsize(path) < 8 * _MIB:
                    await asyncio.sleep(0.05)
        finally:
            writer.close()
    finally:
        checkpoints.close()
