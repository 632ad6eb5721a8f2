"""The second step after intake: turning stored webhooks into call state, in batches.

Rows are taken oldest first (``SKIP LOCKED`` lets several processes share the work).  A batch
is one transaction; if it fails, each row is retried alone so one bad webhook is stamped with
its error and cannot hold back the rest.  Batches are sized to take about ``batch_seconds``
(``BATCH_SECONDS``), and at most ``batch_size`` rows (fewer in ``callfunnel process``): on SQLite a
PBX waiting for an acknowledgement or a routing decision waits for the batch already running
(never for those queued), so a batch must stay short under a burst.
Nothing is ever deleted: a failed row waits for ``callfunnel inbox replay``.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from app import instruments
from app.database import ROW_LOCK, Database, is_transient, utcnow
from app.inbox.models import InboxItem, raw_body

log = logging.getLogger(__name__)

# A routing decision arriving while a batch runs waits for it: at 100 calls/s (bench/realtime.py)
# 0.1 s batches made the webhook -> offer p99 230-256 ms, 0.05 s 131-166 ms.  The price is the
# processing's pace at the limit (more, smaller transactions): MANGO sustained 17.2 -> 15.9-16.5 %
# of the floor, the supervisors' missed-call frames at 100 calls/s later still; 0.03 s in process
# took more of it (14.7-15.0 %).  The caller waiting to be routed goes first.
BATCH_SECONDS = 0.05


@dataclass(slots=True)
class PendingItem:
    """A stored webhook to process, read as plain columns (no ORM object per row: this is every
    webhook's second step); the handler sets ``error`` on a row it cannot read."""

    id: int
    vendor: str
    dedup_key: str
    path: str
    raw_body: str
    received_at: datetime
    fallback_reason: str | None
    error: str | None = None


Handler = Callable[[Session, list[PendingItem]], None]


class InboxProcessor:
    def __init__(
        self,
        db: Database,
        handler: Handler,
        *,
        batch_size: int = 500,
        batch_seconds: float = BATCH_SECONDS,
        poll_seconds: float = 1.0,
        linger_seconds: float = 0.05,
    ) -> None:
        self._db = db
        self._batch_seconds = batch_seconds
        self._handler = handler
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        # Waiting a moment after a wake-up gathers a burst into one batch: far fewer queries per
        # event under load, for a few tens of milliseconds of lag.
        self._linger_seconds = linger_seconds
        self._wake = asyncio.Event()
        self._limit = batch_size  # rows per batch now: what fits in batch_seconds, at most batch_size

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Processes until cancelled; wakes on new rows, and polls for rows other processes stored.
        A poll looks with a read first: taking rows is a writing transaction, which on SQLite is a
        turn at the write lock (a separate processor polls 20 times a second)."""
        woken = True  # (at a start: what an earlier run left)
        while True:
            try:
                if woken or await self._db.read(_any_pending):
                    await self.drain()
            except Exception:
                log.exception("inbox processing failed; retrying shortly")
            woken = False
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancel that stops us.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await self._wake.wait()
                    woken = True
                    await asyncio.sleep(self._linger_seconds)
            self._wake.clear()

    async def drain(self) -> int:
        """Processes every pending row; returns how many were taken."""
        total = 0
        while taken := await self.process_batch():
            total += taken
        return total

    async def process_batch(self) -> int:
        try:
            return await self._db.run(self._timed_batch)
        except Exception:
            log.exception("inbox batch failed; processing its rows one by one")
        return await self._process_one_by_one()

    def _timed_batch(self, session: Session) -> int:
        started = time.monotonic()
        taken = self._handle_pending(session, self._limit)
        if taken:
            per_row = (time.monotonic() - started) / taken
            self._limit = max(10, min(self._batch_size, int(self._batch_seconds / max(per_row, 1e-6))))
        return taken

    def _handle_pending(self, session: Session, limit: int, *, item_id: int | None = None) -> int:
        items = _pending(session, limit, item_id=item_id)
        if items:
            self._handler(session, items)
            _stamp_handled(session, items)
        return len(items)

    async def _process_one_by_one(self) -> int:
        taken = 0
        while taken < self._batch_size:
            item_id = await self._db.run(lambda session: next((i.id for i in _pending(session, 1)), None))
            if item_id is None:
                break
            try:
                await self._db.run(partial(self._handle_pending, limit=1, item_id=item_id))
            except Exception as exc:
                if is_transient(exc):  # another worker holds what it needs: try again next round
                    log.warning("inbox item %s deferred: %s", item_id, exc)
                    break
                log.exception("inbox item %s failed", item_id)
                error = f"{type(exc).__name__}: {exc}"[:4000]
                await self._db.run(partial(_stamp_failed, item_id=item_id, error=error))
            taken += 1
        return taken


_ITEMS = InboxItem.__table__
_PENDING_COLUMNS = (
    _ITEMS.c.id,
    _ITEMS.c.vendor,
    _ITEMS.c.dedup_key,
    _ITEMS.c.path,
    _ITEMS.c.body,
    _ITEMS.c.body_encoding,
    _ITEMS.c.received_at,
    _ITEMS.c.fallback_reason,
)


def _pending(session: Session, limit: int, *, item_id: int | None = None) -> list[PendingItem]:
    query, params = _PENDING, {"limit": limit}
    if item_id is not None:
        query, params = _PENDING_ONE, params | {"item_id": item_id}
    return [
        PendingItem(row_id, vendor, key, path, raw_body(body, encoding), received_at, fallback_reason)
        for row_id, vendor, key, path, body, encoding, received_at, fallback_reason in session.execute(query, params)
    ]


_PENDING = (  # (built once: the processor asks after every wake-up)
    select(*_PENDING_COLUMNS)
    .where(InboxItem.handled_at.is_(None), InboxItem.error.is_(None))
    .order_by(InboxItem.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True, **ROW_LOCK)
)
_PENDING_ONE = _PENDING.where(InboxItem.id == bindparam("item_id"))
_ANY_PENDING = select(InboxItem.id).where(InboxItem.handled_at.is_(None), InboxItem.error.is_(None)).limit(1)


def _any_pending(session: Session) -> bool:
    return session.execute(_ANY_PENDING).first() is not None


def _stamp_failed(session: Session, *, item_id: int, error: str) -> None:
    session.execute(
        update(InboxItem).where(InboxItem.id == item_id).values(error=error, attempts=InboxItem.attempts + 1)
    )


_STAMP_HANDLED = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"))
    .values(handled_at=bindparam("now"), attempts=_ITEMS.c.attempts + 1)
)
_STAMP_UNREADABLE = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"))
    .values(error=bindparam("reason"), attempts=_ITEMS.c.attempts + 1)
)


def _stamp_handled(session: Session, items: list[PendingItem]) -> None:
    """Stamps the batch in two statements; a row the handler could not read keeps its reason instead."""
    now = utcnow()
    handled = [{"item_id": item.id, "now": now} for item in items if item.error is None]
    unreadable = [{"item_id": item.id, "reason": item.error} for item in items if item.error is not None]
    if handled:
        session.execute(_STAMP_HANDLED, handled)
    if unreadable:
        session.execute(_STAMP_UNREADABLE, unreadable)
    for item in items:
        if item.error is None:
            instruments.observe(session, instruments.PROCESSING_LAG, (now - item.received_at).total_seconds())
