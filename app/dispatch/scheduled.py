"""The dispatch tick: timers are rows, and this job fires the ones that are due.

Safe in several processes at once: each step takes its rows with ``SKIP LOCKED`` and moves
them with conditional updates.
"""

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from app.database import Database, utcnow
from app.dispatch import offers, queueing, retention
from app.jobs import Job
from app.operators import state as operator_state
from app.retention import EVERY_SECONDS
from app.settings import Settings

log = logging.getLogger(__name__)


def tick(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Fires every dispatch timer due at ``now`` (default: the clock)."""
    now = now or utcnow()
    done = {
        "offers_expired": offers.expire_offers(session=session, now=now),
        "calls_timed_out": queueing.leave_overdue(session=session, now=now),
        "wrap_ups_ended": len(operator_state.finish_wrap_ups(session=session, now=now)),
    }
    done["offers_made"] = queueing.serve_waiting(session=session, now=now)
    return done


async def run_dispatch_tick(*, db: Database) -> None:
    done = await db.run(tick)
    if any(done.values()):
        log.info("dispatch tick: %s", done)


def jobs(*, db: Database, settings: Settings) -> list[Job]:
    return [
        Job("dispatch-tick", settings.dispatch_interval_seconds, run_dispatch_tick, {"db": db}),
        Job("offer-retention", EVERY_SECONDS, retention.prune, {"db": db, "keep_days": settings.offer_retention_days}),
    ]
