"""Who a waiting call may be offered to: the queue's free members (and the one last offered, the
round-robin pointer) with only the columns its strategy reads, and the operator it sticks to.
The routing engine (``routing.decide``) picks among them; ``offers`` claims the ones it picks."""

from datetime import datetime
from functools import cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.dispatch.models import QueueEntry
from app.operators.models import Operator, OperatorState
from app.queues.models import Queue, QueueMember
from routing import Member, Sticky, Strategy


def members(*, session: Session, queue: Queue) -> tuple[list[Member], dict[int, str | None]]:
    """The queue's free members (and the one last offered, the round-robin pointer), with only the
    columns the queue's strategy reads: at a thousand members this runs on every offer."""
    wants_skills = queue.skill is not None or queue.strategy == Strategy.skill_priority
    wants_idle = queue.strategy == Strategy.longest_idle
    query = _members_query(wants_skills=wants_skills, wants_idle=wants_idle)
    rows = session.execute(query, {"queue_id": queue.id, "last_offered_id": queue.last_offered_id}).all()
    members = [
        Member(
            operator_id=row.user_id,
            position=row.position,
            available=bool(row.free),
            skills=(row.skills or {}) if wants_skills else {},
            idle_since=row.idle_since if wants_idle else None,
        )
        for row in rows
    ]
    return members, {row.user_id: row.extension for row in rows}


@cache
def _members_query(*, wants_skills: bool, wants_idle: bool) -> Select:
    """Built once per shape: building and keying a statement costs more than SQLite running it."""
    free = (Operator.state == OperatorState.available) & Operator.panel_lost_at.is_(None)
    columns = [Operator.user_id, QueueMember.position, free.label("free"), User.extension]
    columns += [Operator.skills] if wants_skills else []
    columns += [Operator.idle_since] if wants_idle else []
    return (
        select(*columns)
        .join(QueueMember, QueueMember.operator_id == Operator.user_id)
        .join(User, User.id == Operator.user_id)
        .where(QueueMember.queue_id == bindparam("queue_id"), User.extension.is_not(None))  # no extension: no ring
        .where(free | (Operator.user_id == bindparam("last_offered_id")))
    )


def sticky(*, session: Session, entry: QueueEntry, now: datetime, extensions: dict) -> Sticky | None:
    """The operator the call sticks to (its owner, or who last talked with the number) while the
    stickiness lasts; their extension is added to ``extensions``."""
    if entry.sticky_operator_id is None or entry.sticky_until is None or now >= entry.sticky_until:
        return None
    row = session.execute(
        select(Operator.state, User.extension, Operator.panel_lost_at)
        .join(User, User.id == Operator.user_id)
        .where(Operator.user_id == entry.sticky_operator_id)
    ).first()
    if row is None or row[1] is None:
        return None
    extensions.setdefault(entry.sticky_operator_id, row[1])
    available = row[0] == OperatorState.available and row[2] is None
    return Sticky(entry.sticky_operator_id, entry.sticky_rule, available=available)


def busy(member: Member) -> Member:
    """The member as another dispatch left them: claimed meanwhile."""
    return Member(member.operator_id, member.position, False, member.skills, member.idle_since)
