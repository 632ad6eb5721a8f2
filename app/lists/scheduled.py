"""Dials that brought no call within ``DIAL_CONFIRM_SECONDS`` are given up every few seconds."""

import logging
from datetime import timedelta

from app.database import Database, utcnow
from app.jobs import Job
from app.lists import dialling
from app.settings import Settings

log = logging.getLogger(__name__)

EVERY_SECONDS = 5


async def expire_dials(*, db: Database, settings: Settings) -> int:
    within = timedelta(seconds=settings.dial_confirm_seconds)
    expired = await db.run(lambda session: dialling.expire_dials(session=session, now=utcnow(), confirm_within=within))
    if expired:
        log.info("%d dial(s) from call lists brought no call: dial_failed", expired)
    return expired


def jobs(*, db: Database, settings: Settings) -> list[Job]:
    return [Job("dial-confirmations", EVERY_SECONDS, expire_dials, {"db": db, "settings": settings})]
