"""The process's event bus: hands committed events to its sockets, each once, in ``seq`` order.

Events this process commits are handed over directly when they follow the last one delivered.
Anything else — a gap left by another process's commit, a ``NOTIFY`` from PostgreSQL, the slow
poll in case a notification was lost (the listening connection dropped, or several processes
share a SQLite file) — makes the pump read the rows after the last ``seq`` it delivered.  So
every socket gets every event exactly once and in order, whichever process committed it.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.database import Database
from app.events.models import OPERATOR, SESSIONS, SUPERVISORS, EventCounter, RealtimeEvent
from app.events.outbox import CHANNEL

log = logging.getLogger(__name__)

FRAME_VERSION = 1
_PAGE = 1000
LISTENER_NAME = "callfunnel-events"  # the LISTEN connection, as pg_stat_activity shows it


@dataclass(frozen=True)
class Event:
    seq: int
    type: str
    audience: str
    operator_id: int | None
    at: datetime
    payload: dict

    def frame(self) -> dict:
        return {"type": self.type, "v": FRAME_VERSION, "seq": self.seq, "at": self.at.isoformat(), **self.payload}

    @cached_property
    def text(self) -> str:
        """The frame as sent: serialized once, whatever the number of sockets."""
        return json.dumps(self.frame(), separators=(",", ":"))

    @classmethod
    def from_row(cls, row: dict) -> "Event":
        return cls(row["seq"], row["type"], row["audience"], row["operator_id"], row["at"], row["payload"])


@dataclass(eq=False)
class Subscriber:
    """One socket's place on the bus: a bounded queue of events for it.

    A socket that does not keep up (its queue full) is ``behind``: ``on_behind`` is called once
    (its connection closes it) and the client resumes with ``since`` (a supervisor) or a fresh
    snapshot (a panel)."""

    operator_id: int | None = None  # the panel's operator; None for a supervisor feed
    limit: int = 1000
    on_behind: Callable[[], None] | None = None
    queue: asyncio.Queue = field(init=False)
    behind: bool = False

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(self.limit)

    def push(self, event: Event) -> None:
        if self.behind:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.behind = True
            if self.on_behind is not None:
                self.on_behind()


class EventBus:
    def __init__(self, db: Database, *, poll_seconds: float = 1.0) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.last_seq = 0
        self._supervisors: set[Subscriber] = set()
        self._operators: dict[int, set[Subscriber]] = {}
        self._credentials: dict[str, set[Callable[[], None]]] = {}  # token digest -> its sockets' closers
        self._wakeup = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.last_seq = await self.newest_seq()
        self.db.on_events_committed = self.wake
        self._tasks.append(asyncio.create_task(self._pump(), name="event-bus"))
        if not self.db.is_sqlite:
            self._tasks.append(asyncio.create_task(self._listen(), name="event-bus-listener"))

    async def stop(self) -> None:
        self.db.on_events_committed = None
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self, committed: list[dict]) -> None:
        """This process committed these events (thread-safe: the SQLite writer thread calls it)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._committed, committed)

    def _committed(self, rows: list[dict]) -> None:
        if rows[0]["seq"] != self.last_seq + 1:
            self._wakeup.set()  # another process's events (or a commit that finished first) come between
            return
        for row in rows:
            self._deliver(Event.from_row(row))
        self.last_seq = rows[-1]["seq"]

    def subscribe(self, subscriber: Subscriber) -> None:
        if subscriber.operator_id is None:
            self._supervisors.add(subscriber)
        else:
            self._operators.setdefault(subscriber.operator_id, set()).add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber.operator_id is None:
            self._supervisors.discard(subscriber)
        elif (panels := self._operators.get(subscriber.operator_id)) is not None:
            panels.discard(subscriber)
            if not panels:
                del self._operators[subscriber.operator_id]

    def watch_token(self, token_digest: str, on_revoked: Callable[[], None]) -> Callable[[], None]:
        """Calls ``on_revoked`` when the token is revoked or reissued (in any process); returns the
        function that stops watching."""
        self._credentials.setdefault(token_digest, set()).add(on_revoked)

        def unwatch() -> None:
            watchers = self._credentials.get(token_digest)
            if watchers is not None:
                watchers.discard(on_revoked)
                if not watchers:
                    del self._credentials[token_digest]

        return unwatch

    async def newest_seq(self) -> int:
        """The last ``seq`` committed (kept or already pruned)."""
        return await self.db.read(lambda s: s.execute(select(EventCounter.seq)).scalar_one())

    async def oldest_seq(self) -> int | None:
        return await self.db.read(lambda s: s.execute(select(func.min(RealtimeEvent.seq))).scalar_one())

    async def read_after(
        self, seq: int, *, audience: str | None = None, operator_id: int | None = None, limit: int = _PAGE
    ) -> list[Event]:
        """Kept events after ``seq`` in order: of one audience (and, for ``operator``, one operator's)."""
        table = RealtimeEvent.__table__
        query = select(table).where(table.c.seq > seq).order_by(table.c.seq).limit(limit)
        if audience is not None:
            query = query.where(table.c.audience == audience)
        if operator_id is not None:
            query = query.where(table.c.operator_id == operator_id)
        return await self.db.read(lambda s: [Event.from_row(row._mapping) for row in s.execute(query)])

    def _deliver(self, event: Event) -> None:
        if event.audience == SESSIONS:
            for on_revoked in list(self._credentials.get(event.payload.get("token_digest"), ())):
                on_revoked()
            return
        if event.audience == SUPERVISORS:
            targets = self._supervisors
        elif event.audience == OPERATOR:
            targets = self._operators.get(event.operator_id, ())
        else:
            return
        for subscriber in list(targets):
            subscriber.push(event)

    async def _pump(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wakeup.wait()
            self._wakeup.clear()
            try:
                while events := await self.read_after(self.last_seq):
                    for event in events:
                        if event.seq > self.last_seq:  # (handed over directly while we read)
                            self._deliver(event)
                            self.last_seq = event.seq
                    if len(events) < _PAGE:
                        break
            except Exception:
                log.exception("event bus: reading events failed; trying again")
                await asyncio.sleep(self.poll_seconds)

    def _notified(self, _connection, _pid, _channel, payload: str) -> None:
        if not payload.isdigit() or int(payload) > self.last_seq:  # (our own commits are handed over directly)
            self._wakeup.set()

    async def _listen(self) -> None:
        """PostgreSQL: one dedicated connection LISTENs; after it drops, it reconnects and the pump
        re-reads everything after the last delivered ``seq``."""
        url = make_url(self.db.url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(dsn, server_settings={"application_name": LISTENER_NAME})
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await connection.add_listener(CHANNEL, self._notified)
                self._wakeup.set()  # whatever committed while we were not listening
                await lost.wait()
                log.warning("event bus: the LISTEN connection dropped; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event bus: cannot LISTEN (%s); polling every %ss meanwhile", exc, self.poll_seconds)
                await asyncio.sleep(1)
            finally:
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await connection.close()
