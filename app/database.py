"""Engines and sessions.

SQLite has one writer.  Writing transactions open with ``BEGIN IMMEDIATE``, so a
read-then-write never fails with SQLITE_BUSY halfway; reads use their own pool and run
beside the writer (WAL).  The hot write path (webhook intake, event processing, sweeps) is
written as plain synchronous units of work and handed to ``Database.run``: on SQLite it runs
on one dedicated thread with the stdlib driver, a single thread hop per transaction instead
of one per statement; on PostgreSQL it runs on the async driver through SQLAlchemy's
greenlet bridge (``AsyncSession.run_sync``).
"""

import asyncio
import itertools
import os
import queue
import random
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import TypeVar

from sqlalchemy import DateTime, Engine, Table, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from app import instruments
from app.defaults import without_arguments
from app.wal_checkpoints import WalCheckpoints
from app.write_turns import WriteTurns

T = TypeVar("T")

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@without_arguments  # (a default factory of many table models: see app/defaults.py)
def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A timestamp from a client: UTC when it carries no offset."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Rows are locked ``FOR NO KEY UPDATE`` (PostgreSQL; SQLite has one writer and no row locks): it
# excludes every other locker and writer of the row, as ``FOR UPDATE`` does, but not the KEY SHARE
# lock a foreign-key check takes — inserting a timeline row for a locked call, an offer for a
# locked entry.  Under ``FOR UPDATE`` those inserts waited, and a transaction holding a call while
# waiting for its entry deadlocked with one holding the entry and writing a row that names the call.
# No code changes a key, which is all ``FOR UPDATE`` would add.  The lock order: a call, then its
# queue entry, its offers, then operators.
ROW_LOCK = {"key_share": True}


# Built once: the statements every call and routing decision runs are module constants with
# ``bindparam`` for what varies.  Building an UPDATE or a SELECT with a few conditions cost several
# times running it (~0.3 ms for an UPDATE with a subquery on the project's machine), and table
# statements skip the ORM's per-statement set-up.  The session flushes pending changes before any
# statement it runs, built once or on the spot, so the order of writes and row locks is the same.


def dialect_insert(session: Session | AsyncSession, table):
    """An ``INSERT`` that can say ``ON CONFLICT`` in the session's dialect."""
    return _dialect(session.bind.dialect.name).insert(table)


def _dialect(name: str):
    return postgresql if name == "postgresql" else sqlite


def insert_ignoring_duplicates(
    session: Session | AsyncSession, table: Table, *, index_elements: list[str], returning: tuple[str, ...] = ()
):
    """``INSERT ... ON CONFLICT DO NOTHING`` for the session's dialect, ``RETURNING`` the named
    columns of the rows inserted; built once per shape (see *Built once* above)."""
    return _ignoring_duplicates(session.bind.dialect.name, table, tuple(index_elements), returning)


@lru_cache(maxsize=64)
def _ignoring_duplicates(dialect: str, table: Table, index_elements: tuple[str, ...], returning: tuple[str, ...]):
    insert = _dialect(dialect).insert(table).on_conflict_do_nothing(index_elements=list(index_elements))
    return insert.returning(*(table.c[name] for name in returning)) if returning else insert


def _configure_sqlite(engine: AsyncEngine | Engine, *, begin: str, checkpointed_apart: bool) -> None:
    """``checkpointed_apart``: a ``WalCheckpoints`` thread checkpoints the log for this process's connections."""
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        if checkpointed_apart:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql(begin)


_SQLITE_BUSY_MS = 30_000


def _switch_to_wal(cursor) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another connection holds the lock.

    The busy timeout does not cover it: two connections switching a fresh file at once each hold a
    shared lock and want an exclusive one, and SQLite answers one of them "database is locked" at
    once instead of waiting into a deadlock (two workers starting on a new database do exactly this).
    """
    deadline = time.monotonic() + _SQLITE_BUSY_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            instruments.add(instruments.DB_RETRIES, "sqlite_locked")
            time.sleep(0.01)


def sqlite_file(url: str) -> str | None:
    """The SQLite database's file; None for another database, or one in memory."""
    path = make_url(url).database if url.startswith("sqlite") else None
    return path if path and path != ":memory:" else None


def make_sqlite_file_private(url: str) -> None:
    """The SQLite file (and so its -wal and -shm, which SQLite creates with the file's mode) is
    readable by its owner only: it holds every client's number and every call."""
    if (path := sqlite_file(url)) is None:
        return
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for name in (path, f"{path}-wal", f"{path}-shm"):
        if os.path.exists(name):
            os.chmod(name, 0o600)


class _Writer:
    """SQLite's one writing thread, taking urgent work first, the rest in order.

    Under load the inbox processor queues batch after batch; a PBX waiting for its acknowledgement
    or its routing decision should wait for at most the one transaction already running, not for
    everything queued before it (admission control: the inbox absorbs the burst, processing lags).
    While urgent work is queued it also goes before other processes' other work (``WriteTurns``:
    a separate processor's batches).
    """

    _URGENT, _NORMAL, _STOP = 0, 1, 2

    def __init__(self, turns: WriteTurns) -> None:
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self._turns = turns
        self._thread = threading.Thread(target=self._work, name="sqlite-writer", daemon=True)
        self._thread.start()

    def submit(self, function: Callable[[], T], *, urgent: bool) -> Future:
        future: Future = Future()
        self._queue.put((self._URGENT if urgent else self._NORMAL, next(self._order), function, future))
        return future

    def shutdown(self) -> None:
        """Stops after the work already queued."""
        self._queue.put((self._STOP, next(self._order), None, None))
        self._thread.join()

    def _work(self) -> None:
        while True:
            priority, _, function, future = self._queue.get()
            if function is None:
                return
            self._turns.urgent_queued(priority == self._URGENT)
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(function())
                except BaseException as exc:  # noqa: BLE001 (handed to the waiting coroutine)
                    future.set_exception(exc)
            self._turns.urgent_queued(self._urgent_next())

    def _urgent_next(self) -> bool:
        with self._queue.mutex:
            return bool(self._queue.queue) and self._queue.queue[0][0] == self._URGENT


_SQLITE_READERS = 2
_TRANSIENT_SQLSTATES = {"40P01": "deadlock", "40001": "serialization_failure", "55P03": "lock_not_available"}
_RUN_ATTEMPTS = 3


def is_transient(exc: Exception) -> bool:
    """Lock conflicts between transactions (deadlock, serialization, SQLite busy): worth running again."""
    return isinstance(exc, OperationalError) or _conflict(exc) is not None


def _conflict(exc: Exception) -> str | None:
    """Which PostgreSQL lock conflict ``exc`` is, if it is one."""
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return _TRANSIENT_SQLSTATES.get(state) if isinstance(exc, DBAPIError) else None


class Database:
    """The application's engines and its two ways in: ``run`` writes, ``read`` only reads."""

    def __init__(self, url: str, *, pool_size: int = 10, checkpoint_seconds: float = 1.0) -> None:
        """``checkpoint_seconds``: how often a SQLite file's log is checkpointed (``WalCheckpoints``)."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            make_sqlite_file_private(url)
            path = sqlite_file(url)
            self._checkpoints = WalCheckpoints(path, interval=checkpoint_seconds) if path else None
            apart = self._checkpoints is not None
            self.engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60)
            _configure_sqlite(self.engine, begin="BEGIN IMMEDIATE", checkpointed_apart=apart)
            self.read_engine = create_async_engine(url, pool_size=4, max_overflow=4)
            _configure_sqlite(self.read_engine, begin="BEGIN", checkpointed_apart=apart)
            self._sync_engine = create_engine(
                url.replace("+aiosqlite", "+pysqlite"),
                pool_size=1,
                max_overflow=0,
                connect_args={"check_same_thread": False},
            )
            _configure_sqlite(self._sync_engine, begin="BEGIN IMMEDIATE", checkpointed_apart=apart)
            self._sync_sessions = sessionmaker(self._sync_engine, expire_on_commit=False, info={"database": self})
            self._turns = WriteTurns(path)
            self._writer = _Writer(self._turns)
            self._sync_read_engine = create_engine(
                url.replace("+aiosqlite", "+pysqlite"),
                pool_size=_SQLITE_READERS,
                max_overflow=0,
                connect_args={"check_same_thread": False},
            )
            _configure_sqlite(self._sync_read_engine, begin="BEGIN", checkpointed_apart=apart)
            self._sync_read_sessions = sessionmaker(self._sync_read_engine, expire_on_commit=False)
            self._readers = ThreadPoolExecutor(max_workers=_SQLITE_READERS, thread_name_prefix="sqlite-reader")
        else:
            self.engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
            self.read_engine = self.engine
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, info={"database": self})
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self.on_events_committed: Callable[[list[dict]], None] | None = None

    def events_committed(self, events: list[dict]) -> None:
        """A transaction committed these live-client events (called from whichever thread committed it)."""
        if self.on_events_committed is not None:
            self.on_events_committed(events)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        """A writing unit of work: commits on success, rolls back on error."""
        async with self._sessions() as session:
            async with session.begin():
                yield session

    async def run(self, work: Callable[[Session], T], *, urgent: bool = False) -> T:
        """Runs ``work(session)`` in one writing transaction (committed on return, rolled back on error).

        On PostgreSQL a transaction that lost a deadlock (or a serialization check) is run again
        from the start, twice at most: ``work`` must not have effects outside the database.
        ``urgent``: somebody waits for it (a PBX for its acknowledgement or its routing decision):
        on SQLite it goes before the other work queued for the writer.
        """
        if self.is_sqlite:
            running = self._writer.submit(lambda: self._run_here(work, urgent=urgent), urgent=urgent)
            return await asyncio.wrap_future(running)
        for attempt in range(1, _RUN_ATTEMPTS + 1):
            try:
                async with self._session() as session:
                    return await session.run_sync(work)
            except DBAPIError as exc:
                if attempt == _RUN_ATTEMPTS or not is_transient(exc):
                    raise
                instruments.add(instruments.DB_RETRIES, _conflict(exc) or "operational_error")
                await asyncio.sleep(random.uniform(0, 0.02 * attempt))
        raise AssertionError("unreachable")

    def _run_here(self, work: Callable[[Session], T], *, urgent: bool) -> T:
        with self._turns.turn(urgent=urgent), self._sync_sessions() as session, session.begin():
            return work(session)

    async def read(self, work: Callable[[Session], T]) -> T:
        """Runs ``work(session)`` in a read-only transaction: on SQLite one hop to a reader thread
        (instead of one per statement), on PostgreSQL through the greenlet bridge."""
        if self.is_sqlite:
            return await asyncio.get_running_loop().run_in_executor(self._readers, self._read_here, work)
        async with self._read_session() as session:
            return await session.run_sync(work)

    def _read_here(self, work: Callable[[Session], T]) -> T:
        with self._sync_read_sessions() as session, session.begin():
            return work(session)

    @asynccontextmanager
    async def _read_session(self) -> AsyncIterator[AsyncSession]:
        async with self._read_sessions() as session:
            async with session.begin():
                yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.is_sqlite:
            await self.read_engine.dispose()
            self._writer.shutdown()
            self._readers.shutdown(wait=True)
            self._sync_engine.dispose()
            self._sync_read_engine.dispose()
            self._turns.close()
            if self._checkpoints is not None:
                self._checkpoints.close()
