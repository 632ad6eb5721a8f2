"""Keeping the callback list in step with call outcomes: every missed call lands on it until the number is reached.

A number's callback is open exactly when its latest missed call started after its latest
answered call, whatever order the PBX's webhooks came in.  PBX clocks tick in whole seconds,
so an answered call that started in the same second as a miss counts as reaching the client
(a call back cannot really precede the call it answers).
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, select, text
from sqlalchemy.orm import Session

from app.callbacks.models import IS_OPEN, OPEN_STATUSES, Callback, CallbackAction, CallbackStatus
from app.calls.models import Call, Outcome
from app.contacts import claims
from app.contacts.models import Contact
from app.database import ROW_LOCK
from app.events import outbox
from app.queues.kept import kept_queue
from app.queues.models import Queue
from routing.hours import BusinessHours
from schemas.pbx_events import Direction

log = logging.getLogger(__name__)

MISSED_OUTCOMES = (Outcome.missed, Outcome.abandoned)
NO_CALLER_ID = "no_caller_id"


def register_outcome(
    *,
    session: Session,
    call: Call,
    previous: Outcome | None,
    renumbered: bool,
    sla: timedelta,
    now: datetime,
    max_attempts: int = 0,
) -> None:
    """Keeps the number's callback in step with a call whose outcome, or client number, just changed."""
    if call.direction == Direction.internal or (call.outcome == previous and not renumbered):
        return
    if previous in MISSED_OUTCOMES and call.callback_id is not None:
        _withdraw_miss(session=session, call=call, sla=sla, now=now)
    if call.outcome in MISSED_OUTCOMES:
        _attach_miss(session=session, call=call, sla=sla, now=now)
    elif call.outcome == Outcome.answered and call.number:
        _resolve_misses_before(session=session, call=call, sla=sla, now=now)
    elif call.outcome == Outcome.not_reached and call.number:
        _count_attempt(session=session, call=call, now=now, max_attempts=max_attempts)


def get_open(*, session: Session, phone: str) -> Callback | None:
    """The number's open callback, locked for the transaction."""
    return session.execute(_OPEN_FOR_PHONE, {"phone": phone}).scalar_one_or_none()


def log_action(*, session: Session, callback: Callback, action: str, actor_id: int | None = None, **detail) -> None:
    """Writes one line of the callback's history."""
    session.add(CallbackAction(callback_id=callback.id, actor_id=actor_id, action=action, detail=detail))
    outbox.changed(session, "callback", callback.id, action)
    log.info(
        "callback %s %s%s %s",
        callback.id,
        action,
        f" by user {actor_id}" if actor_id else "",
        detail,
        extra={"call_id": detail.get("call_id"), "operator_id": actor_id},
    )


def miss_reason(call: Call) -> str:
    return "abandoned" if call.outcome == Outcome.abandoned else (call.end_reason or "missed")


def _attach_miss(*, session: Session, call: Call, sla: timedelta, now: datetime) -> None:
    contact = session.execute(_CONTACT_CARD, {"contact_id": call.contact_id}).first() if call.contact_id else None
    queue = _queue_of(session=session, call=call)  # (read once: the due time and the live feed both need it)
    if call.number is None:
        # Nobody can call a hidden number back: recorded for reports, closed at once.
        callback = _new_callback(call=call, reason=NO_CALLER_ID, sla=sla, now=now, assignee_id=None)
        callback.status, callback.closed_at, callback.result = (
            CallbackStatus.canceled,
            now,
            "the caller's number is hidden",
        )
        session.add(callback)
        session.flush()
        call.callback_id = callback.id
        log_action(session=session, callback=callback, action="closed_no_caller_id", call_id=call.id)
        _announce_miss(session=session, call=call, callback=callback, contact=contact, queue=queue)
        return
    _lock_number(session=session, phone=call.number)
    reached_later = _answered_call_since(session=session, phone=call.number, started_at=call.started_at)
    if reached_later is not None:
        log.info("call %s missed, but %s was reached since by call %s", call.id, call.number, reached_later)
        _announce_miss(session=session, call=call, callback=None, contact=contact, queue=queue)
        return
    callback = get_open(session=session, phone=call.number)
    if callback is None:  # (its figures are this one call's: nothing to recount)
        owner_id = contact.owner_id if contact is not None else None
        callback = _new_callback(call=call, reason=miss_reason(call), sla=sla, now=now, assignee_id=owner_id)
        callback.due_at = _due(call=call, queue=queue, sla=sla)
        session.add(callback)
        session.flush()
        log_action(session=session, callback=callback, action="created", call_id=call.id, reason=callback.reason)
        call.callback_id = callback.id
    else:
        log_action(session=session, callback=callback, action="missed_again", call_id=call.id, reason=miss_reason(call))
        call.callback_id = callback.id
        callback.contact_id = callback.contact_id or call.contact_id
        callback.updated_at = now
        _recount(session=session, callback=callback, sla=sla)
    _announce_miss(session=session, call=call, callback=callback, contact=contact, queue=queue)


def _announce_miss(
    *, session: Session, call: Call, callback: Callback | None, contact: Row | None, queue: Queue | None
) -> None:
    """The supervisors' live feed of missed calls (``contact``: the call's ``_CONTACT_CARD``)."""
    waited = (call.ended_at - call.started_at).total_seconds() if call.ended_at else None
    payload = {
        "call_id": call.id,
        "number": call.number or call.number_raw,
        "contact": {"id": contact.id, "name": contact.name, "company": contact.company} if contact else None,
        "outcome": call.outcome,
        "reason": miss_reason(call),
        "queue": {"id": queue.id, "name": queue.name} if queue else None,
        "started_at": call.started_at.isoformat(),
        "waited_seconds": waited,
        "callback": None
        if callback is None
        else {"id": callback.id, "status": callback.status, "due_at": callback.due_at.isoformat()},
    }
    outbox.publish(session, "missed_call", payload)


@outbox.announcer("callback")
def _announce_callbacks(session: Session, changes: dict[int, list[str]]) -> None:
    for callback in session.execute(select(Callback).where(Callback.id.in_(sorted(changes)))).scalars():
        outbox.publish(session, "callback_update", {**callback_payload(callback), "actions": changes[callback.id]})


def callback_payload(callback: Callback) -> dict:
    return {
        "callback_id": callback.id,
        "phone": callback.phone or callback.phone_raw,
        "contact_id": callback.contact_id,
        "status": callback.status,
        "reason": callback.reason,
        "missed_count": callback.missed_count,
        "due_at": callback.due_at.isoformat(),
        "assignee_id": callback.assignee_id,
        "attempts": callback.attempts,
        "result": callback.result,
        "overdue": callback.overdue_announced_at is not None,
    }


def _withdraw_miss(*, session: Session, call: Call, sla: timedelta, now: datetime) -> None:
    """A call first judged missed turned out otherwise (a late summary corrected the sweep)."""
    callback = session.get(Callback, call.callback_id, with_for_update=ROW_LOCK)
    call.callback_id = None
    callback.updated_at = now
    if not _recount(session=session, callback=callback, sla=sla) and callback.status in OPEN_STATUSES:
        callback.status, callback.closed_at, callback.result = (
            CallbackStatus.canceled,
            now,
            f"call {call.id} was not missed after all",
        )
    log_action(session=session, callback=callback, action="miss_withdrawn", call_id=call.id)


def _resolve_misses_before(*, session: Session, call: Call, sla: timedelta, now: datetime) -> None:
    """An answered call closes the misses that started before it; later ones stay on the list."""
    _lock_number(session=session, phone=call.number)
    callback = get_open(session=session, phone=call.number)
    if callback is None or callback.first_missed_at > call.started_at:
        return
    later = (
        []
        if callback.last_missed_at <= call.started_at
        else list(
            (
                session.execute(select(Call).where(Call.callback_id == callback.id, Call.started_at > call.started_at))
            ).scalars()
        )
    )
    for missed in later:
        missed.callback_id = None
    callback.status, callback.closed_at, callback.updated_at = CallbackStatus.done, now, now
    if callback.contact_id is not None and callback.assignee_id is not None:
        claims.give_back(session=session, contact_id=callback.contact_id, operator_id=callback.assignee_id)
    callback.resolved_call_id = call.id
    callback.result = f"reached by {call.direction} call {call.id}"
    _recount(session=session, callback=callback, sla=sla)
    log_action(session=session, callback=callback, action="reached", call_id=call.id)
    if later:  # misses after the answered call start a callback of their own
        session.flush()
        for missed in sorted(later, key=lambda c: (c.started_at, c.id)):
            _attach_miss(session=session, call=missed, sla=sla, now=now)


def _recount(*, session: Session, callback: Callback, sla: timedelta) -> int:
    """Derives the callback's figures from the missed calls attached to it; returns how many there are."""
    session.flush()
    missed = list(session.execute(_MISSED_CALLS, {"callback_id": callback.id}).scalars())
    if missed:
        callback.missed_count = len(missed)
        callback.first_missed_at, callback.last_missed_at = missed[0].started_at, missed[-1].started_at
        callback.reason = miss_reason(missed[-1])
        callback.due_at = _due(call=missed[0], queue=_queue_of(session=session, call=missed[0]), sla=sla)
    else:
        callback.missed_count = 0
    return len(missed)


def _count_attempt(*, session: Session, call: Call, now: datetime, max_attempts: int) -> None:
    """An unanswered dial counts; after ``max_attempts`` of them (0: no limit) the callback closes."""
    _lock_number(session=session, phone=call.number)
    callback = get_open(session=session, phone=call.number)
    if callback is not None and call.started_at >= callback.last_missed_at:
        callback.attempts += 1
        callback.updated_at = now
        log_action(session=session, callback=callback, action="attempt_not_reached", call_id=call.id)
        if max_attempts and callback.attempts >= max_attempts:
            callback.status, callback.closed_at = CallbackStatus.canceled, now
            callback.result = f"not reached after {callback.attempts} attempts"
            log_action(session=session, callback=callback, action="gave_up", attempts=callback.attempts)


def _queue_of(*, session: Session, call: Call) -> Queue | None:
    return kept_queue(session=session, queue_id=call.queue_id) if call.queue_id else None


def _due(*, call: Call, queue: Queue | None, sla: timedelta) -> datetime:
    """The SLA counted in the call's queue's business hours (``queue``): a call missed at 23:00 is
    due SLA minutes after the next opening."""
    if queue is None:
        return call.started_at + sla
    return BusinessHours(queue.hours, queue.timezone).add_open_time(call.started_at, sla)


def _answered_call_since(*, session: Session, phone: str, started_at: datetime) -> int | None:
    return session.execute(_ANSWERED_SINCE, {"phone": phone, "started_at": started_at}).scalar_one_or_none()


# Built once: a missed or answered call asks them (see app/database.py).
_OPEN_FOR_PHONE = select(Callback).where(Callback.phone == bindparam("phone"), IS_OPEN).with_for_update(**ROW_LOCK)
_CONTACTS = Contact.__table__
_CONTACT_CARD = select(_CONTACTS.c.id, _CONTACTS.c.name, _CONTACTS.c.company, _CONTACTS.c.owner_id).where(
    _CONTACTS.c.id == bindparam("contact_id")
)
_MISSED_CALLS = select(Call).where(Call.callback_id == bindparam("callback_id")).order_by(Call.started_at, Call.id)
_CALLS = Call.__table__
_ANSWERED_SINCE = (
    select(_CALLS.c.id)
    .where(
        _CALLS.c.number == bindparam("phone"),
        _CALLS.c.outcome == Outcome.answered,
        _CALLS.c.direction != Direction.internal,
        _CALLS.c.started_at >= bindparam("started_at"),
    )
    .limit(1)
)


def _lock_number(*, session: Session, phone: str) -> None:
    """Serializes callback decisions per number across processes (SQLite already has one writer)."""
    if session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:phone))"), {"phone": phone})


def _new_callback(*, call: Call, reason: str, sla: timedelta, now: datetime, assignee_id: int | None) -> Callback:
    return Callback(
        phone=call.number,
        phone_raw=call.number_raw,
        contact_id=call.contact_id,
        reason=reason,
        missed_count=1,
        first_missed_at=call.started_at,
        last_missed_at=call.started_at,
        due_at=call.started_at + sla,  # (``_attach_miss`` counts it in the queue's business hours)
        assignee_id=assignee_id,
        created_at=now,
        updated_at=now,
    )
