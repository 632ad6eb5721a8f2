"""A manager's daily work by hand: touches (notes, e-mails, meetings, messages) and follow-up
tasks, with who may add or close what."""

from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.contacts.models import Contact
from app.crm import tasks, touches
from app.crm.models import Deal, Task, TaskKind, Touch, TouchChannel
from app.database import ROW_LOCK
from app.errors import Forbidden, NotFound, Unprocessable
from app.operators.lookup import require_operator

TOUCH_CLOCK_SKEW = timedelta(minutes=5)


def touches_query(*, contact_id: int | None, deal_id: int | None) -> Select:
    """Touches, newest first: calls (recorded by themselves) and notes, e-mails, meetings, messages."""
    query = select(Touch).order_by(Touch.at.desc(), Touch.id.desc())
    if contact_id is not None:
        query = query.where(Touch.contact_id == contact_id)
    if deal_id is not None:
        query = query.where(Touch.deal_id == deal_id)
    return query


def add_touch(
    *,
    session: Session,
    actor: User,
    contact_id: int,
    deal_id: int | None,
    channel: str,
    at: datetime | None,
    reason: str | None,
    note: str | None,
    now: datetime,
) -> Touch:
    """``at`` may be back-filled, but not more than 5 minutes ahead; a touch on a deal is its
    owner's (or a supervisor's) to add."""
    if at is not None and at > now + TOUCH_CLOCK_SKEW:
        raise Unprocessable("at: a touch cannot be in the future (5 minutes of clock skew allowed)")
    if session.get(Contact, contact_id) is None:
        raise NotFound(f"no contact {contact_id}")
    if deal_id is not None:
        deal = session.get(Deal, deal_id)
        if deal is None or deal.contact_id != contact_id:
            raise Unprocessable(f"deal {deal_id} is not a deal of contact {contact_id}")
        if actor.role == Role.operator and deal.owner_id != actor.id:
            raise Forbidden(f"deal {deal_id} is another manager's: only its owner or a supervisor adds touches")
    touch = touches.record(
        session=session,
        contact_id=contact_id,
        deal_id=deal_id,
        channel=TouchChannel(channel),
        at=at or now,
        operator_id=actor.id,
        reason=reason,
        note=note,
    )
    session.flush()
    return touch


def tasks_query(*, actor: User, owner_id: int | None, done: bool) -> Select:
    """One list per manager (a manager's own; supervisors name ``owner_id`` or see everyone's), by due date."""
    if actor.role == Role.operator:
        owner_id = actor.id
    query = select(Task).order_by(Task.due_at, Task.id)
    query = query.where(Task.done_at.is_not(None) if done else Task.done_at.is_(None))
    return query.where(Task.owner_id == owner_id) if owner_id is not None else query


def add_task(
    *,
    session: Session,
    actor: User,
    owner_id: int | None,
    title: str,
    due_at: datetime,
    deal_id: int | None,
    contact_id: int | None,
    now: datetime,
) -> Task:
    """A follow-up: managers for themselves, supervisors for anyone."""
    if actor.role == Role.operator and owner_id not in (None, actor.id):
        raise Forbidden("managers schedule their own tasks")
    if deal_id is not None and session.get(Deal, deal_id) is None:
        raise Unprocessable(f"no deal {deal_id}")
    if contact_id is not None and session.get(Contact, contact_id) is None:
        raise Unprocessable(f"no contact {contact_id}")
    if owner_id is not None:
        require_operator(session=session, user_id=owner_id, as_what="a task's owner")
    return tasks.create(
        session=session,
        owner_id=owner_id or actor.id,
        kind=TaskKind.follow_up,
        title=title,
        due_at=due_at,
        now=now,
        deal_id=deal_id,
        contact_id=contact_id,
    )


def finish_task(*, session: Session, actor: User, task_id: int, now: datetime) -> Task:
    task = session.get(Task, task_id, with_for_update=ROW_LOCK)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if actor.role == Role.operator and task.owner_id != actor.id:
        raise Forbidden(f"task {task_id} is another manager's")
    task.done_at = task.done_at or now
    return task
