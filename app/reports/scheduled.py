"""The rollups' job: the calls the triggers noted, applied to the calls report's per-day rollups."""

import logging

from app.database import Database
from app.jobs import Job
from app.reports import rollups
from app.settings import Settings

log = logging.getLogger(__name__)

EVERY_SECONDS = 5.0


async def apply_noted_calls(*, db: Database, timezone: str, fcr_days: int) -> None:
    """Applies the notes in batches until none are left (a burst is caught up in one run)."""
    while await db.run(lambda s: rollups.apply_pending(s, timezone=timezone, fcr_days=fcr_days)) >= rollups.BATCH:
        pass


def jobs(*, db: Database, settings: Settings) -> list[Job]:
    kwargs = {"db": db, "timezone": settings.timezone, "fcr_days": settings.fcr_days}
    return [Job("call-rollups", EVERY_SECONDS, apply_noted_calls, kwargs)]
