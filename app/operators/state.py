"""Operator state transitions, each one conditional UPDATE checked by its row count.

Nothing here reads a state and then writes it: two processes, a webhook and a sweep can race
on one operator and exactly one transition wins.  Synchronous, for ``Database.run``.
"""

import logging
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Row, bindparam, case, select, update
from sqlalchemy.orm import Session

from app.auth.models import User
from app.calls.models import Call
from app.database import ROW_LOCK
from app.events import outbox
from app.operators.models import Operator, OperatorState

log = logging.getLogger(__name__)


def operator_changed(session: Session, operator_id: int) -> None:
    """The operator's state moved: their panels and the supervisors' board hear where it ended
    (one event per transaction, however many steps it took)."""
    outbox.changed(session, "operator", operator_id)


# What panels and the supervisors' board show of operators' states, as plain rows (built once:
# every transaction that moves an operator announces it, and objects cost it more than the move).
OPERATOR_STATES = select(
    User.id,
    User.name,
    Operator.state,
    Operator.state_since,
    Operator.call_id,
    Operator.offer_id,
    Operator.panel_lost_at,
).join_from(User, Operator, Operator.user_id == User.id)


def operator_state_payload(row: Row) -> dict:
    """``row``: one of ``OPERATOR_STATES``."""
    return {
        "operator_id": row.id,
        "name": row.name,
        "state": row.state,
        "since": row.state_since.isoformat(),
        "call_id": row.call_id,
        "offer_id": row.offer_id,
        "panel_connected": row.panel_lost_at is None,
    }


@outbox.announcer("operator")
def _announce_operators(session: Session, operator_ids: dict[int, list[str]]) -> None:
    for row in session.execute(_STATES_OF, {"ids": sorted(operator_ids)}):
        payload = operator_state_payload(row)
        outbox.publish(session, "state", payload, operator_id=row.id)
        outbox.publish(session, "operator_state", payload)


_STATES_OF = OPERATOR_STATES.where(User.id.in_(bindparam("ids", expanding=True)))


def _move(session: Session, operator_id: int, *, where, **values) -> bool:
    statement = (
        update(Operator)
        .where(Operator.user_id == operator_id, *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _moved(session, statement, {}, operator_id, announce="state" in values)


def _moved(session: Session, statement, params: dict, operator_id: int, *, announce: bool) -> bool:
    moved = session.execute(statement, params).rowcount == 1
    if moved and announce:
        operator_changed(session, operator_id)
    return moved


# The moves every routing decision makes, built once (see app/database.py, *Built once*).
_OPERATOR = Operator.__table__
_CLAIM = (
    update(_OPERATOR)
    .where(
        _OPERATOR.c.user_id == bindparam("operator_id"),
        _OPERATOR.c.state == OperatorState.available,
        _OPERATOR.c.user_id.in_(
            select(_OPERATOR.c.user_id)
            .where(_OPERATOR.c.user_id == bindparam("operator_id"), _OPERATOR.c.state == OperatorState.available)
            .where(_OPERATOR.c.panel_lost_at.is_(None))
            .with_for_update(skip_locked=True, **ROW_LOCK)
            .scalar_subquery()
        ),
    )
    .values(state=OperatorState.ringing, call_id=bindparam("ringing_for"), state_since=bindparam("now"))
)
_ATTACH_OFFER = (
    update(_OPERATOR)
    .where(_OPERATOR.c.user_id == bindparam("operator_id"))
    .values(offer_id=bindparam("attached_offer"), state_since=bindparam("now"))
)


def claim(*, session: Session, operator_id: int, call_id: int, now: datetime) -> bool:
    """available (with a live panel, or none ever opened) → ringing for this call; False when someone
    else got there first.

    An operator another transaction is moving right now is skipped rather than waited for
    (``SKIP LOCKED``): the dispatcher offers the call to the next candidate at once, and a
    claim never waits on a lock, so concurrent dispatches cannot queue up or deadlock on one.
    """
    params = {"operator_id": operator_id, "ringing_for": call_id, "now": now}
    return _moved(session, _CLAIM, params, operator_id, announce=True)


def attach_offer(*, session: Session, operator_id: int, offer_id: int, now: datetime) -> None:
    """Binds the claimed operator to the offer made, ringing since the offer's own moment."""
    params = {"operator_id": operator_id, "attached_offer": offer_id, "now": now}
    _moved(session, _ATTACH_OFFER, params, operator_id, announce=False)


def release(
    *,
    session: Session,
    operator_id: int,
    call_id: int,
    now: datetime,
    offer_id: int | None = None,
    no_answer: bool = False,
    max_no_answers: int = 0,
) -> OperatorState | None:
    """ringing (for this call and this offer, or with none) → available; after ``max_no_answers``
    unanswered offers in a row, → break.

    Returns the new state, or None when the operator was not ringing for it: a ring that ended
    late must not free an operator who is already ringing on a newer offer of the same call.
    """
    to_break = no_answer and max_no_answers > 0
    params = {"operator_id": operator_id, "for_call": call_id, "now": now, "no_answers": int(no_answer)}
    if offer_id is not None:
        params["for_offer"] = offer_id
    if to_break:
        params["max_no_answers"] = max_no_answers
    new_state = session.execute(_release_statement(offer_id is not None, to_break), params).scalar()
    if new_state is None:
        return None
    operator_changed(session, operator_id)
    if new_state == OperatorState.break_:
        log.warning("operator %s let %s offers ring out in a row: put on break", operator_id, max_no_answers)
    return OperatorState(new_state)


@cache
def _release_statement(for_offer: bool, to_break: bool):
    """Built once per shape (see app/database.py): every offer that ends frees its operator."""
    count = _OPERATOR.c.no_answer_count + bindparam("no_answers")
    state = (
        case((count >= bindparam("max_no_answers"), OperatorState.break_.value), else_=OperatorState.available.value)
        if to_break
        else OperatorState.available
    )
    offer = _OPERATOR.c.offer_id == bindparam("for_offer") if for_offer else _OPERATOR.c.offer_id.is_(None)
    return (
        update(_OPERATOR)
        .where(
            _OPERATOR.c.user_id == bindparam("operator_id"),
            _OPERATOR.c.state == OperatorState.ringing,
            _OPERATOR.c.call_id == bindparam("for_call"),
            offer,
        )
        .values(state=state, no_answer_count=count, offer_id=None, call_id=None, state_since=bindparam("now"))
        .returning(_OPERATOR.c.state)
    )


def dialing(*, session: Session, operator_id: int, on: bool, now: datetime) -> bool:
    """available → dialing (``on``), dialing → available: a call list's dial claims the operator
    the way an offer does, so no inbound call is offered to someone whose phone the PBX is about
    to ring; the claim ends when the dial fails or its outcome is left to the operator."""
    before, after = OperatorState.available, OperatorState.dialing
    if not on:
        before, after = after, before
    return _move(session, operator_id, where=[Operator.state == before], state=after, state_since=now)


def start_call(*, session: Session, operator_id: int, call_id: int, now: datetime) -> bool:
    """ringing for this call (or available, or dialing it) → on_call; False when they were busy with
    something else."""
    started = _move(
        session,
        operator_id,
        where=[
            Operator.state.in_([OperatorState.available, OperatorState.dialing])
            | ((Operator.state == OperatorState.ringing) & (Operator.call_id == call_id))
        ],
        state=OperatorState.on_call,
        call_id=call_id,
        offer_id=None,
        no_answer_count=0,
        state_since=now,
    )
    if started:
        announce_call(session, operator_id, call_id, "connected")
    return started


def end_call(*, session: Session, operator_id: int, call_id: int, now: datetime) -> bool:
    """on_call (this call) → wrap_up for the operator's wrap-up time (none: straight to available)."""
    row = session.execute(
        select(Operator.wrap_up_seconds).where(
            Operator.user_id == operator_id, Operator.state == OperatorState.on_call, Operator.call_id == call_id
        )
    ).first()
    if row is None:
        return False
    seconds = row[0]
    ended = _move(
        session,
        operator_id,
        where=[Operator.state == OperatorState.on_call, Operator.call_id == call_id],
        state=OperatorState.wrap_up if seconds else OperatorState.available,
        wrap_up_until=now + timedelta(seconds=seconds) if seconds else None,
        call_id=None,
        idle_since=now,
        state_since=now,
    )
    if ended:
        announce_call(session, operator_id, call_id, "ended")
    return ended


def announce_call(session: Session, operator_id: int, call_id: int, status: str) -> None:
    """Tells the operator's panels what became of their call: connected, held, talking (back from
    hold), ended."""
    number, outcome = session.execute(select(Call.number, Call.outcome).where(Call.id == call_id)).one()
    payload = {"call_id": call_id, "status": status, "number": number, "outcome": outcome}
    outbox.publish(session, "call_update", payload, operator_id=operator_id)


def finish_wrap_ups(*, session: Session, now: datetime) -> list[int]:
    """Operators whose wrap-up time is over become available; returns them."""
    due = list(
        session.execute(
            select(Operator.user_id)
            .where(Operator.state == OperatorState.wrap_up, Operator.wrap_up_until <= now)
            .with_for_update(skip_locked=True, **ROW_LOCK)
        ).scalars()
    )
    return [op for op in due if finish_wrap_up(session=session, operator_id=op, now=now)]


def finish_wrap_up(*, session: Session, operator_id: int, now: datetime) -> bool:
    return _move(
        session,
        operator_id,
        where=[Operator.state == OperatorState.wrap_up],
        state=OperatorState.available,
        wrap_up_until=None,
        state_since=now,
    )


def set_state(
    *, session: Session, operator_id: int, state: OperatorState, expected: OperatorState, now: datetime
) -> bool:
    """An operator's own choice (available, break, offline), from the state the caller saw (``expected``,
    anything but a call in progress); False when it changed meanwhile.

    Leaving ``ringing`` drops the operator's hold on that call; the dispatcher then hands its
    offer on (the PBX's own ringing, in observe mode, is settled by the call's events).
    """
    values = {"state": state, "state_since": now, "wrap_up_until": None, "call_id": None, "offer_id": None}
    if state == OperatorState.available:
        values["no_answer_count"] = 0
    if expected == OperatorState.on_call:
        return False
    return _move(session, operator_id, where=[Operator.state == expected], **values)
