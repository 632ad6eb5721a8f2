"""The funnel's timers: reminders for untouched deals, refusals whose delay has passed."""

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.crm import tasks
from app.database import Database, utcnow
from app.jobs import Job
from app.settings import Settings

log = logging.getLogger(__name__)


def tick(session: Session, *, cadence: timedelta, now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    return {
        "reminders": tasks.remind_untouched(session=session, now=now, after=cadence),
        "reopened": tasks.reopen_due(session=session, now=now),
    }


async def run_tick(*, db: Database, cadence_days: float) -> None:
    done = await db.run(lambda session: tick(session, cadence=timedelta(days=cadence_days)))
    if any(done.values()):
        log.info("funnel tick: %s", done)


def jobs(*, db: Database, settings: Settings) -> list[Job]:
    kwargs = {"db": db, "cadence_days": settings.cadence_days}
    return [Job("funnel-tick", settings.funnel_interval_seconds, run_tick, kwargs)]
