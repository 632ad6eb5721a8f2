"""The queues' figures for the supervisors' board: waiting now, and today's answered, missed and service level.

Service level (``docs/call-center-metrics.md``): calls answered within 20 s of
entering the queue, over the calls that entered it today and ended (answered, missed or
abandoned after entering), times compared in whole seconds as the PBXs report them.
"""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, func, select, text
from sqlalchemy.orm import Session

from app.database import utcnow
from app.dispatch.models import LIVE_ENTRY, EntryStatus, QueueEntry
from app.events import outbox
from app.queues.models import Queue
from app.realtime.models import PublishedQueueStats

SERVICE_LEVEL_SECONDS = 20


def compute(session: Session, queues: list[Queue], now: datetime) -> dict[int, dict]:
    """Each queue's figures by queue id: two grouped queries per time zone the queues keep (their
    day starts at their own midnight), not two per queue — the desk's tick asks every second."""
    found: dict[int, dict] = {}
    by_zone: dict[str, list[Queue]] = {}
    for queue in queues:
        by_zone.setdefault(queue.timezone, []).append(queue)
    for zone, zone_queues in by_zone.items():
        local = now.astimezone(ZoneInfo(zone))
        midnight = datetime.combine(local.date(), time(), tzinfo=local.tzinfo)
        ids = [queue.id for queue in zone_queues]
        live = {
            queue_id: (count, oldest) for queue_id, count, oldest in session.execute(_LIVE, {"queue_ids": ids}).all()
        }
        today = {
            queue_id: (answered, missed, within)
            for queue_id, answered, missed, within in session.execute(
                _TODAY, {"queue_ids": ids, "midnight": midnight}
            ).all()
        }
        for queue in zone_queues:
            waiting, oldest = live.get(queue.id, (0, None))
            answered, missed, within = today.get(queue.id, (0, 0, 0))
            ended = answered + missed
            if oldest is not None and oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=now.tzinfo)
            found[queue.id] = {
                "queue_id": queue.id,
                "name": queue.name,
                "waiting": waiting,
                "longest_wait_seconds": float(int((now - oldest).total_seconds())) if oldest else 0.0,
                "answered_today": answered,
                "missed_today": missed,
                "service_level_today": round(100 * (within or 0) / ended, 1) if ended else None,
            }
    return found


_IN_QUEUES = QueueEntry.queue_id.in_(bindparam("queue_ids", expanding=True))
_LIVE = (
    select(QueueEntry.queue_id, func.count(), func.min(QueueEntry.entered_at))
    .where(_IN_QUEUES, QueueEntry.status.in_(LIVE_ENTRY))
    .group_by(QueueEntry.queue_id)
)
_TODAY = (
    select(
        QueueEntry.queue_id,
        func.count().filter(QueueEntry.status == EntryStatus.connected),
        func.count().filter(QueueEntry.status == EntryStatus.exited),
        func.sum(
            case(
                (
                    (QueueEntry.status == EntryStatus.connected) & (QueueEntry.wait_seconds <= SERVICE_LEVEL_SECONDS),
                    1,
                ),
                else_=0,
            )
        ),
    )
    .where(_IN_QUEUES, QueueEntry.entered_at >= bindparam("midnight", type_=QueueEntry.__table__.c.entered_at.type))
    .group_by(QueueEntry.queue_id)
)


def publish_changed(session: Session, now: datetime | None = None) -> int:
    """Announces each queue whose figures changed since they were last shown (by any process)."""
    now = now or utcnow()
    if session.bind.dialect.name == "postgresql" and not session.execute(text(_TRY_LOCK)).scalar_one():
        return 0  # another process is announcing them right now
    count = 0
    queues = list(session.execute(select(Queue)).scalars())
    figures = compute(session, queues, now)
    published = {row.queue_id: row for row in session.execute(select(PublishedQueueStats)).scalars()}
    for queue in queues:
        shown, stats = published.get(queue.id), figures[queue.id]
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
