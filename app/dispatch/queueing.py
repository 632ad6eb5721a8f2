"""A call's way into its queue and out of it.

A call joins the queue whose lines include the number it dialled.  Outside business hours, or
with nobody logged in, it leaves at once with that reason, which becomes the missed call's
reason on the callback list.
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.calls import timeline
from app.calls.models import Call, Outcome
from app.contacts.models import Contact
from app.contacts.phone import to_e164
from app.database import ROW_LOCK
from app.dispatch.models import LIVE_ENTRY, EntryStatus, QueueEntry, whole_seconds
from app.dispatch.offers import dispatch, revoke_all
from app.operators.models import Operator, OperatorState
from app.queues.models import Queue, QueueMember, QueueMode
from routing.hours import BusinessHours
from telephony import registry
from telephony.vendor import Routing

log = logging.getLogger(__name__)

T = TypeVar("T")


def queue_ids_by_line(*, session: Session) -> dict[str, int]:
    """Every queue's id by each of its lines (as configured, E.164); read once per transaction
    (routing decisions that arrive together share one), as plain rows: a call joins one queue,
    loaded alone (``kept_queue``); twenty queues built as objects were ~4 % of a decision's time."""
    lines = session.info.get(_LINES)
    if lines is None:
        lines = session.info[_LINES] = {
            number: queue_id for queue_id, numbers in session.execute(_QUEUE_LINES) for number in numbers
        }
    return lines


_LINES = "dispatch.queue_ids_by_line"
_QUEUES = Queue.__table__
_QUEUE_LINES = select(_QUEUES.c.id, _QUEUES.c.numbers)  # (built once, of the table: see app/database.py)


def queue_for(line_number: str | None, lines: Mapping[str, T], *, region: str) -> T | None:
    """The queue of the line a call rang (as the PBX sent the number, or in E.164)."""
    if not line_number:
        return None
    return lines.get(line_number) or lines.get(to_e164(line_number, region=region) or "")


def enter(*, session: Session, call: Call, queue: Queue, now: datetime) -> QueueEntry:
    """Puts a new inbound call in its queue and offers it."""
    contact = session.execute(_CONTACT_SEEN, {"contact_id": call.contact_id}).first() if call.contact_id else None
    call.queue_id = queue.id  # (after that read: flushed with the entry, not alone before it)
    # A sync PBX hears of offers only in a webhook's reply, so they are made when it asks
    # (``decide_for_pbx``).  Until then its own plan has the call: a call that reached us
    # another way (its routing webhook failed and was answered ``proceed``) is not offered
    # behind its back, to operators the PBX will never ring.  A PBX that takes neither a
    # reply nor a command distributes its calls itself, whatever the queue's mode: observed.
    pbx_plans = queue.mode == QueueMode.sync or registry.kind_of(call.vendor).routing == Routing.none
    entry = QueueEntry(
        call_id=call.id,
        queue_id=queue.id,
        entered_at=now,
        deadline_at=now + timedelta(seconds=queue.max_wait_seconds),
        priority=1 if contact is not None and contact.vip else 0,
        handed_to_pbx=pbx_plans,
    )
    if queue.sticky:
        entry.sticky_operator_id, entry.sticky_rule = _own_manager(
            session=session, call=call, owner_id=contact.owner_id if contact is not None else None, queue=queue, now=now
        )
        if entry.sticky_operator_id is not None:
            entry.sticky_until = now + timedelta(seconds=queue.sticky_timeout_seconds)
    session.add(entry)
    session.flush()
    timeline.note(
        session,
        call_id=call.id,
        at=now,
        kind="queued",
        queue_id=queue.id,
        priority=entry.priority,
        sticky_operator_id=entry.sticky_operator_id,
        sticky_rule=entry.sticky_rule,
    )
    if not BusinessHours(queue.hours, queue.timezone).is_open(now):
        leave(session=session, entry=entry, reason="after_hours", now=now)
    elif not _anyone_logged_in(session=session, queue=queue, entry=entry):
        leave(session=session, entry=entry, reason="no_operators", now=now)
    elif not pbx_plans:  # (in an observed queue, only the sticky step is ours)
        dispatch(session=session, entry=entry, queue=queue, now=now)
    return entry


def leave(*, session: Session, entry: QueueEntry, reason: str, now: datetime) -> None:
    """The call leaves its queue unanswered; ringing offers are revoked."""
    if entry.status not in LIVE_ENTRY:
        return
    revoke_all(session=session, entry=entry, reason=reason, now=now)
    entry.status, entry.exit_reason, entry.left_at = EntryStatus.exited, reason, now
    entry.wait_seconds = whole_seconds(entry.entered_at, now)
    timeline.note(session, call_id=entry.call_id, at=now, kind="left_queue", reason=reason)
    log.info("call %s left queue %s: %s", entry.call_id, entry.queue_id, reason)


def leave_overdue(*, session: Session, now: datetime, limit: int = 200) -> int:
    """Calls past their queue's max wait leave it (``queue_timeout``); an observed queue's calls wait
    as long as the PBX keeps them."""
    due = session.execute(
        select(QueueEntry)
        .join(Queue, Queue.id == QueueEntry.queue_id)
        .join(Call, Call.id == QueueEntry.call_id)  # (locked with its entry: a call before its entry, the lock order)
        .where(QueueEntry.status.in_(LIVE_ENTRY), QueueEntry.deadline_at <= now, Queue.mode != QueueMode.observe)
        .limit(limit)
        .with_for_update(of=(Call, QueueEntry), skip_locked=True, **ROW_LOCK)
    ).scalars()
    entries = list(due)
    for entry in entries:
        leave(session=session, entry=entry, reason="queue_timeout", now=now)
    return len(entries)


def serve_waiting(*, session: Session, now: datetime, queue_ids: list[int] | None = None, limit: int = 100) -> int:
    """Offers waiting calls to free operators: VIPs first, then oldest first; returns the offers made.

    Stops as soon as nobody is free: under a flood most calls wait, and each one asked costs a
    dispatch (the queue's members read) that can only find everyone busy."""
    if not _anyone_available(session):
        return 0
    query = (
        select(QueueEntry)
        .join(Queue, Queue.id == QueueEntry.queue_id)
        .where(QueueEntry.status == EntryStatus.waiting, QueueEntry.handed_to_pbx.is_(False))
        .where(Queue.mode != QueueMode.observe)
        .order_by(QueueEntry.priority.desc(), QueueEntry.entered_at, QueueEntry.id)
        .limit(limit)
        .join(Call, Call.id == QueueEntry.call_id)  # (a call before its entry: the lock order)
        .with_for_update(of=(Call, QueueEntry), skip_locked=True, **ROW_LOCK)
    )
    if queue_ids is not None:
        query = query.where(QueueEntry.queue_id.in_(queue_ids))
    made = 0
    for entry in list(session.execute(query).scalars()):
        made += len(dispatch(session=session, entry=entry, queue=session.get(Queue, entry.queue_id), now=now))
        if not _anyone_available(session):
            break
    return made


def _anyone_available(session: Session) -> bool:
    query = select(Operator.user_id).where(Operator.state == OperatorState.available).limit(1)
    return session.execute(query).first() is not None


def queues_of(*, session: Session, operator_id: int) -> list[int]:
    return list(session.execute(select(QueueMember.queue_id).where(QueueMember.operator_id == operator_id)).scalars())


# Reasons callfunnel itself turned a call away for; they name a missed call better than the PBX can.
QUEUE_REASONS = ("after_hours", "no_operators", "queue_timeout")


def missed_reason(call: Call, entry: QueueEntry | None) -> str | None:
    """Why a missed call was missed, when the queue knows better than the PBX."""
    if call.outcome == Outcome.missed and entry is not None and entry.exit_reason in QUEUE_REASONS:
        return entry.exit_reason
    return None


def _own_manager(*, session: Session, call: Call, owner_id: int | None, queue: Queue, now: datetime):
    """The personal manager (the contact's ``owner_id``), or the operator who last talked with this
    number (``sticky_days``)."""
    if owner_id is not None:
        return owner_id, "owner"
    if call.number is None:
        return None, None
    since = now - timedelta(days=queue.sticky_days)
    params = {"number": call.number, "call_id": call.id, "since": since}
    recent = session.execute(_LAST_ANSWERED_BY, params).scalar()
    return (recent, "recent") if recent is not None else (None, None)


def _anyone_logged_in(*, session: Session, queue: Queue, entry: QueueEntry) -> bool:
    params = {"queue_id": queue.id, "sticky_operator_id": entry.sticky_operator_id}
    return session.execute(_ANYONE_LOGGED_IN, params).first() is not None


# Asked for every call that joins a queue, built once (see app/database.py).
_CALL, _OPERATOR, _MEMBER = Call.__table__, Operator.__table__, QueueMember.__table__
_CONTACT = Contact.__table__
_CONTACT_SEEN = select(_CONTACT.c.vip, _CONTACT.c.owner_id).where(_CONTACT.c.id == bindparam("contact_id"))
_LAST_ANSWERED_BY = (
    select(_CALL.c.operator_id)
    .join(_OPERATOR, _OPERATOR.c.user_id == _CALL.c.operator_id)
    .where(
        _CALL.c.number == bindparam("number"),
        _CALL.c.id != bindparam("call_id"),
        _CALL.c.outcome == Outcome.answered,
        _CALL.c.started_at >= bindparam("since"),
    )
    .order_by(_CALL.c.started_at.desc())
    .limit(1)
)
_ANYONE_LOGGED_IN = (
    select(_OPERATOR.c.user_id)
    .where(
        _OPERATOR.c.state != OperatorState.offline,
        _OPERATOR.c.user_id.in_(select(_MEMBER.c.operator_id).where(_MEMBER.c.queue_id == bindparam("queue_id")))
        | (_OPERATOR.c.user_id == bindparam("sticky_operator_id")),
    )
    .limit(1)
)
