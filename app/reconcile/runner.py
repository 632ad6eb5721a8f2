"""When reconciliation runs: every ``reconcile_interval_seconds`` per vendor, and at once after an outage.

An outage is a process start (the previous one may have crashed while the PBX kept sending)
or the database coming back after webhooks were refused with 503.  One process at a time
reads a vendor's history (a claim on its ``reconciliation`` row), from where the last run
stopped (less an overlap, for calls the PBX wrote late) to now.  A failed run is retried
after ``RETRY_SECONDS``: the PBXs ask integrators not to poll their statistics.

Zadarma's calls are also confirmed against its history (``service.confirm``): its webhooks sign
too few fields to be trusted alone.  The history lags, so a call is judged once the history has
been read ``RECONCILE_CONFIRM_GRACE_SECONDS`` past its end; each run reads that much further back.
"""

import logging
from datetime import datetime, timedelta
from functools import partial

import httpx
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from app.database import ROW_LOCK, Database, insert_ignoring_duplicates, utcnow
from app.flows.call_events import CallPolicy
from app.jobs import Job
from app.reconcile import service
from app.reconcile.models import Reconciliation
from app.settings import Settings
from schemas.pbx_events import CallFinished
from telephony.vendor import HistoryReader, Vendor

log = logging.getLogger(__name__)

RETRY_SECONDS = 300
CLAIM_SECONDS = 600  # a run that takes longer (a dead process) is taken over
OVERLAP = timedelta(minutes=15)
LONGEST_WINDOW = timedelta(days=30)  # both PBXs give at most a month at a time


class Reconciler:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        vendors: dict[str, Vendor],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._db = db
        self._policy = CallPolicy.from_settings(settings)
        self._interval = timedelta(seconds=settings.reconcile_interval_seconds)
        self._check_seconds = settings.reconcile_check_seconds
        self._first_window = timedelta(seconds=settings.reconcile_first_window_seconds)
        self.sources: dict[str, HistoryReader] = {
            name: reader for name, vendor in vendors.items() if (reader := vendor.history(transport))
        }
        self._after_outage = True  # this process just started: the one before may have died
        # Vendors whose webhooks sign too little to stand without the history's confirmation.
        self._confirming = {name for name in self.sources if vendors[name].confirmed_by_history}
        self._grace = timedelta(seconds=settings.reconcile_confirm_grace_seconds)

    def jobs(self) -> list[Job]:
        """The periodic check, where some PBX's history can be read."""
        return [Job("reconciliation", self._check_seconds, self.tick)] if self.sources else []

    def outage_seen(self) -> None:
        self._after_outage = True

    async def tick(self) -> None:
        """The scheduler's job: runs what is due."""
        forced, self._after_outage = self._after_outage, False
        try:
            for vendor in self.sources:
                await self.run(vendor, force=forced)
        except (DBAPIError, PoolTimeout, ConnectionError) as exc:  # the database is still away: retry next tick
            self._after_outage = self._after_outage or forced
            log.warning("reconciliation postponed, the database is unavailable: %s", exc)

    async def run(self, vendor: str, *, force: bool = True) -> Reconciliation | None:
        """Reconciles one vendor now (``force``) or if due; None when not due or another process runs it."""
        now = utcnow()
        window = await self._db.run(partial(self._claim, vendor=vendor, now=now, force=force))
        if window is None:
            return None
        since, until = window
        try:
            history = await self.sources[vendor](since=since, until=until)
        except Exception as exc:
            log.warning("reconciliation with %s failed: %s", vendor, exc)
            return await self._db.run(partial(self._failed, vendor=vendor, error=f"{type(exc).__name__}: {exc}"))
        result = await self._db.run(partial(self._apply, vendor=vendor, history=history, since=since, until=until))
        log.info(
            "reconciled %s %s..%s: %d calls in the history, %d created, %d completed",
            vendor, since, until, result.calls_seen, result.calls_created, result.calls_completed,
        )  # fmt: skip
        return result

    def _claim(self, session: Session, *, vendor: str, now: datetime, force: bool) -> tuple[datetime, datetime] | None:
        insert = insert_ignoring_duplicates(session, Reconciliation.__table__, index_elements=["vendor"])
        session.execute(insert, [{"vendor": vendor, "calls_seen": 0, "calls_created": 0, "calls_completed": 0}])
        row = session.get(Reconciliation, vendor, with_for_update=ROW_LOCK)
        if row.running_until is not None and row.running_until > now:
            return None
        if not force and row.last_run_at is not None:
            wait = self._interval if row.last_error is None else timedelta(seconds=RETRY_SECONDS)
            if now < row.last_run_at + wait:
                return None
        row.running_until = now + timedelta(seconds=CLAIM_SECONDS)
        back = OVERLAP + (self._grace if vendor in self._confirming else timedelta())
        since = row.read_until - back if row.read_until else now - self._first_window
        return max(since, now - LONGEST_WINDOW), now

    def _failed(self, session: Session, *, vendor: str, error: str) -> Reconciliation:
        row = session.get(Reconciliation, vendor, with_for_update=ROW_LOCK)
        row.last_run_at, row.last_error, row.running_until = utcnow(), error[:500], None
        return row

    def _apply(
        self, session: Session, *, vendor: str, history: list[CallFinished], since: datetime, until: datetime
    ) -> Reconciliation:
        now, confirming = utcnow(), vendor in self._confirming
        counts = service.reconcile(
            session=session, vendor=vendor, history=history, policy=self._policy, now=now, correct=confirming
        )
        if confirming:
            checked = service.confirm(
                session=session, vendor=vendor, history=history, since=since, checked_until=until - self._grace, now=now
            )
            if checked.unconfirmed or checked.confirmed or counts.corrected:
                log.warning(
                    "%s: %d calls unknown to the call history flagged unconfirmed, %d confirmed, %d outcomes corrected",
                    vendor, checked.unconfirmed, checked.confirmed, counts.corrected,
                )  # fmt: skip
        session.execute(
            update(Reconciliation)
            .where(Reconciliation.vendor == vendor)
            .values(
                read_until=until,
                last_run_at=now,
                last_success_at=now,
                last_error=None,
                running_until=None,
                calls_seen=counts.seen,
                calls_created=counts.created,
                calls_completed=counts.completed,
            )
        )
        return session.get(Reconciliation, vendor, populate_existing=True)

    async def close(self) -> None:
        for reader in self.sources.values():
            await reader.close()
