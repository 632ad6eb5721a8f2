"""The live clients' timers: panels that went away, callbacks that became overdue, queue figures, retention."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.callbacks.models import IS_OPEN, Callback
from app.callbacks.tracking import log_action
from app.database import ROW_LOCK, Database, utcnow
from app.events.models import RealtimeEvent
from app.jobs import Job
from app.realtime import presence, queue_stats
from app.settings import Settings

log = logging.getLogger(__name__)


def tick(session: Session, *, grace: timedelta, now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    done = presence.sweep(session=session, now=now, grace=grace)
    done["callbacks_overdue"] = announce_overdue(session=session, now=now)
    done["queue_stats"] = queue_stats.publish_changed(session, now)
    return done


def announce_overdue(*, session: Session, now: datetime, limit: int = 500) -> int:
    """Open callbacks past their due time are announced once, as they become overdue."""
    due = session.execute(
        select(Callback)
        .where(IS_OPEN, Callback.due_at <= now, Callback.overdue_announced_at.is_(None))
        .order_by(Callback.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True, **ROW_LOCK)
    ).scalars()
    count = 0
    for callback in due:
        callback.overdue_announced_at = now
        log_action(session=session, callback=callback, action="overdue", due_at=callback.due_at.isoformat())
        count += 1
    return count


def prune(session: Session, *, keep: timedelta, now: datetime | None = None) -> int:
    """Events older than ``keep`` go; a client resuming from before them gets a fresh snapshot."""
    now = now or utcnow()
    return session.execute(delete(RealtimeEvent).where(RealtimeEvent.at < now - keep)).rowcount


async def run_tick(*, db: Database, grace_seconds: float) -> None:
    done = await db.run(lambda session: tick(session, grace=timedelta(seconds=grace_seconds)))
    if any(value for key, value in done.items() if key != "queue_stats"):
        log.info("realtime tick: %s", done)


async def run_prune(*, db: Database, keep_days: float) -> None:
    pruned = await db.run(lambda session: prune(session, keep=timedelta(days=keep_days)))
    if pruned:
        log.info("pruned %s live-client events older than %s days", pruned, keep_days)


async def refresh_panels(*, db: Database, process_id: str) -> None:
    await db.run(lambda session: presence.refresh(session=session, process_id=process_id, now=utcnow()))


def jobs(*, db: Database, settings: Settings, process_id: str) -> list[Job]:
    return [
        Job(
            "realtime-tick",
            settings.realtime_interval_seconds,
            run_tick,
            {"db": db, "grace_seconds": settings.panel_grace_seconds},
        ),
        Job("panel-refresh", settings.panel_refresh_seconds, refresh_panels, {"db": db, "process_id": process_id}),
        Job("event-retention", 3600, run_prune, {"db": db, "keep_days": settings.event_retention_days}),
    ]
