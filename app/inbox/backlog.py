"""The webhooks stored but not yet processed: how many (counted up to a cap, through the pending
index) and since when — what tells an operator the processor is keeping up."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.inbox.models import InboxItem

_PENDING = (InboxItem.handled_at.is_(None), InboxItem.error.is_(None))


def pending(session: Session, *, cap: int) -> int:
    """Unprocessed webhooks, at most ``cap + 1`` counted (enough to say "more than cap")."""
    ids = select(InboxItem.id).where(*_PENDING).limit(cap + 1).subquery()
    return session.execute(select(func.count()).select_from(ids)).scalar_one()


def oldest(session: Session) -> datetime | None:
    """When the oldest unprocessed webhook arrived, if any is waiting."""
    first = select(func.min(InboxItem.id)).where(*_PENDING).scalar_subquery()
    return session.execute(select(InboxItem.received_at).where(InboxItem.id == first)).scalar_one_or_none()
