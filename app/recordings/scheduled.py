"""The recordings' cache is kept within its limits every few minutes; playbacks older than
``PLAYBACK_LOG_DAYS`` and expired tickets are pruned hourly."""

from datetime import timedelta

from sqlalchemy import delete

from app import retention
from app.database import Database, utcnow
from app.jobs import Job
from app.recordings import playbacks
from app.recordings.cache import RecordingCache
from app.recordings.models import RecordingTicket
from app.settings import Settings

CACHE_CHECK_SECONDS = 300


async def prune(*, db: Database, settings: Settings) -> int:
    before = utcnow() - timedelta(days=settings.playback_log_days)
    pruned = await retention.in_batches(db, lambda session: playbacks.prune(session, before=before))
    await db.run(lambda session: session.execute(delete(RecordingTicket).where(RecordingTicket.expires_at < utcnow())))
    return pruned


def jobs(*, db: Database, settings: Settings, cache: RecordingCache) -> list[Job]:
    return [
        Job("recording-cache", CACHE_CHECK_SECONDS, cache.evict),
        Job("playback-retention", retention.EVERY_SECONDS, prune, {"db": db, "settings": settings}),
    ]
