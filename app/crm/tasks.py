"""Managers' tasks (follow-ups, reminders, reopen tasks in one list), and the two jobs that make them:
deals nobody touched for too long, and refusals whose delay has passed."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.crm import deals
from app.crm.models import Deal, DealStatus, RefusalReason, Task, TaskKind
from app.database import ROW_LOCK

log = logging.getLogger(__name__)


def create(
    *,
    session: Session,
    owner_id: int,
    kind: TaskKind,
    title: str,
    due_at: datetime,
    now: datetime,
    deal_id: int | None = None,
    contact_id: int | None = None,
) -> Task:
    task = Task(
        owner_id=owner_id,
        kind=kind,
        title=title,
        due_at=due_at,
        deal_id=deal_id,
        contact_id=contact_id,
        created_at=now,
    )
    session.add(task)
    session.flush()
    return task


def remind_untouched(*, session: Session, now: datetime, after: timedelta, limit: int = 500) -> int:
    """An open deal untouched for ``after`` gets one reminder task for its owner (until it is done)."""
    last_activity = func.coalesce(Deal.last_touch_at, Deal.created_at)
    pending = select(Task.id).where(Task.deal_id == Deal.id, Task.kind == TaskKind.reminder, Task.done_at.is_(None))
    due = session.execute(
        select(Deal)
        .where(Deal.status == DealStatus.open, last_activity <= now - after, ~pending.exists())
        .limit(limit)
        .with_for_update(skip_locked=True, **ROW_LOCK)
    ).scalars()
    count = 0
    for deal in due:
        create(
            session=session,
            owner_id=deal.owner_id,
            kind=TaskKind.reminder,
            title=f"deal {deal.id}: no touch for {after.days} days ({deal.touch_count} so far; buyers need about 7)",
            due_at=now,
            now=now,
            deal_id=deal.id,
            contact_id=deal.contact_id,
        )
        count += 1
    return count


def reopen_due(*, session: Session, now: datetime, limit: int = 500) -> int:
    """Lost deals whose refusal reason's delay has passed: the door opens again (the deal back to an
    open stage, or a new deal, as the reason says) and the owner gets a task to call."""
    due = session.execute(
        select(Deal, RefusalReason)
        .join(RefusalReason, RefusalReason.id == Deal.refusal_reason_id)
        .where(Deal.status == DealStatus.lost, Deal.reopen_at <= now)
        .limit(limit)
        .with_for_update(of=Deal, skip_locked=True, **ROW_LOCK)
    ).all()
    for deal, reason in due:
        deal.reopen_at = None
        target = deals.reopen(session=session, deal=deal, as_new_deal=reason.reopen_as_new_deal, now=now)
        create(
            session=session,
            owner_id=target.owner_id,
            kind=TaskKind.reopen,
            title=f"call again: {reason.reopen_after_days} days since the refusal ({reason.name})",
            due_at=now,
            now=now,
            deal_id=target.id,
            contact_id=target.contact_id,
        )
        log.info(
            "deal %s: refusal %r is %s days old; reopened as deal %s",
            deal.id,
            reason.name,
            reason.reopen_after_days,
            target.id,
        )
    return len(due)
