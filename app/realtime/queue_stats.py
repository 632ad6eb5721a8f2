"""The queues' figures for the supervisors' board: waiting now, and today's answered, missed and service level.

Service level (``docs/call-center-metrics.md``): calls answered within 20 s of
entering the queue, over the calls that entered it today and ended (answered, missed or
abandoned after entering), times compared in whole seconds as the PBXs report them.
"""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from app.database import utcnow
from app.dispatch.models import LIVE_ENTRY, EntryStatus, QueueEntry
from app.events import outbox
from app.queues.models import Queue
from app.realtime.models import PublishedQueueStats

SERVICE_LEVEL_SECONDS = 20


def compute(session: Session, queue: Queue, now: datetime) -> dict:
    local = now.astimezone(ZoneInfo(queue.timezone))
    midnight = datetime.combine(local.date(), time(), tzinfo=local.tzinfo)
    live = session.execute(
        select(func.count(), func.min(QueueEntry.entered_at)).where(
            QueueEntry.queue_id == queue.id, QueueEntry.status.in_(LIVE_ENTRY)
        )
    ).one()
    wait = QueueEntry.wait_seconds
    quick = func.sum(case(((QueueEntry.status == EntryStatus.connected) & (wait <= SERVICE_LEVEL_SECONDS), 1), else_=0))
    answered, missed, within = session.execute(
        select(
            func.count().filter(QueueEntry.status == EntryStatus.connected),
            func.count().filter(QueueEntry.status == EntryStatus.exited),
            quick,
        ).where(QueueEntry.queue_id == queue.id, QueueEntry.entered_at >= midnight)
    ).one()
    ended = answered + missed
    oldest = live[1]
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return {
        "queue_id": queue.id,
        "name": queue.name,
        "waiting": live[0],
        "longest_wait_seconds": float(int((now - oldest).total_seconds())) if oldest else 0.0,
        "answered_today": answered,
        "missed_today": missed,
        "service_level_today": round(100 * (within or 0) / ended, 1) if ended else None,
    }


def publish_changed(session: Session, now: datetime | None = None) -> int:
    """Announces each queue whose figures changed since they were last shown (by any process)."""
    now = now or utcnow()
    if session.bind.dialect.name == "postgresql" and not session.execute(text(_TRY_LOCK)).scalar_one():
        return 0  # another process is announcing them right now
    count = 0
    for queue in session.execute(select(Queue)).scalars():
        shown = session.get(PublishedQueueStats, queue.id)
        stats = compute(session, queue, now)
        if shown is not None and shown.stats == stats:
            continue
        if shown is None:
            session.add(PublishedQueueStats(queue_id=queue.id, stats=stats, published_at=now))
        else:
            shown.stats, shown.published_at = stats, now
        outbox.publish(session, "queue_stats", stats)
        count += 1
    return count


_TRY_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('callfunnel.queue_stats'))"
