"""Sign-ins past their time are ended once a minute, so the sockets they opened close (requests
with an expired sign-in are refused at once: each checks ``expires_at`` itself); old ones are
pruned hourly."""

import logging

from app.auth import retention, service
from app.database import Database, utcnow
from app.jobs import Job
from app.retention import EVERY_SECONDS
from app.settings import Settings

log = logging.getLogger(__name__)

EXPIRY_CHECK_SECONDS = 60


async def end_expired_sign_ins(*, db: Database) -> int:
    ended = await db.run(lambda session: service.end_expired_sessions(session=session, now=utcnow()))
    if ended:
        log.info("%d sign-in(s) expired", ended)
    return ended


def jobs(*, db: Database, settings: Settings) -> list[Job]:
    return [
        Job("end-expired-sign-ins", EXPIRY_CHECK_SECONDS, end_expired_sign_ins, {"db": db}),
        Job("sign-in-retention", EVERY_SECONDS, retention.prune, {"db": db}),
    ]
