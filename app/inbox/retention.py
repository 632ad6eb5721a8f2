"""Handled webhooks received more than ``INBOX_RETENTION_DAYS`` ago are pruned; failed ones stay
for ``callfunnel inbox replay``, pending ones for the processor.  Their dedup keys go with them:
a redelivery that old is refused by its date (``WEBHOOK_MAX_AGE_DAYS`` is at least a day shorter)."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import retention
from app.database import Database, utcnow
from app.inbox.models import InboxItem
from app.jobs import Job
from app.settings import Settings

log = logging.getLogger(__name__)


def prune_handled(session: Session, *, before: datetime) -> int:
    batch = (
        select(InboxItem.id)
        .where(
            # (by id: an index on the time would cost every webhook's insert)
            retention.written_before(InboxItem.id, InboxItem.received_at, before),
            InboxItem.handled_at.is_not(None),
            InboxItem.error.is_(None),
        )
        .order_by(InboxItem.id)
        .limit(retention.BATCH)
        .scalar_subquery()
    )
    return session.execute(delete(InboxItem).where(InboxItem.id.in_(batch))).rowcount


async def prune(*, db: Database, keep_days: float) -> int:
    before = utcnow() - timedelta(days=keep_days)
    pruned = await retention.in_batches(db, lambda session: prune_handled(session, before=before))
    if pruned:
        log.info("pruned %d handled webhooks older than %g days", pruned, keep_days)
    return pruned


def jobs(*, db: Database, settings: Settings) -> list[Job]:
    return [
        Job("inbox-retention", retention.EVERY_SECONDS, prune, {"db": db, "keep_days": settings.inbox_retention_days})
    ]
