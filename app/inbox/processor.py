"""The second step after intake: turning stored webhooks into call state, in batches.

Rows are taken oldest first (``SKIP LOCKED`` lets several processes share the work).  A batch
is one transaction; if it fails, each row is retried alone so one bad webhook is stamped with
its error and cannot hold back the rest.  Batches are sized to take about ``BATCH_SECONDS``: on
SQLite a PBX waiting for an acknowledgement or a routing decision waits for the batch already
running on the writer (never for those queued), so a batch must stay short under a burst.
Nothing is ever deleted: a failed row waits for ``callfunnel inbox replay``.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import instruments
from app.database import ROW_LOCK, Database, is_transient, utcnow
from app.inbox.models import InboxItem

log = logging.getLogger(__name__)

BATCH_SECONDS = 0.1

Handler = Callable[[Session, list[InboxItem]], None]


class InboxProcessor:
    def __init__(
        self,
        db: Database,
        handler: Handler,
        *,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        linger_seconds: float = 0.05,
    ) -> None:
        self._db = db
        self._handler = handler
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        # Waiting a moment after a wake-up gathers a burst into one batch: far fewer queries per
        # event under load, for a few tens of milliseconds of lag.
        self._linger_seconds = linger_seconds
        self._wake = asyncio.Event()
        self._limit = batch_size  # rows per batch now: what fits in BATCH_SECONDS, at most batch_size

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Processes until cancelled; wakes on new rows, and polls for rows other processes stored."""
        while True:
            try:
                await self.drain()
            except Exception:
                log.exception("inbox processing failed; retrying shortly")
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancel that stops us.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await self._wake.wait()
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
            self._limit = max(10, min(self._batch_size, int(BATCH_SECONDS / max(per_row, 1e-6))))
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


def _pending(session: Session, limit: int, *, item_id: int | None = None) -> list[InboxItem]:
    query = (
        select(InboxItem)
        .where(InboxItem.handled_at.is_(None), InboxItem.error.is_(None))
        .order_by(InboxItem.id)
        .limit(limit)
        .with_for_update(skip_locked=True, **ROW_LOCK)
    )
    if item_id is not None:
        query = query.where(InboxItem.id == item_id)
    return list(session.execute(query).scalars())


def _stamp_failed(session: Session, *, item_id: int, error: str) -> None:
    session.execute(
        update(InboxItem).where(InboxItem.id == item_id).values(error=error, attempts=InboxItem.attempts + 1)
    )


def _stamp_handled(session: Session, items: list[InboxItem]) -> None:
    now = utcnow()
    for item in items:
        item.attempts += 1
        if item.error is None:  # the handler stamps a row it could not parse with the reason
            item.handled_at = now
            instruments.observe(session, instruments.PROCESSING_LAG, (now - item.received_at).total_seconds())
