"""Dialling a call list's contact through the PBX (click-to-call), once: the command, what the PBX
answered it, the call it placed linked to the attempt, and the dial that brought no call.

A dial is never repeated by itself: a PBX that did not answer in time may have dialled already,
so the attempt becomes ``unknown`` and the manager decides.  While the PBX places the call the
manager is ``dialing`` (offered no inbound call); a dial that fails, or brings no call within
``DIAL_CONFIRM_SECONDS``, ends the attempt as ``dial_failed`` without using up a try.
"""

from datetime import datetime, timedelta

import phonenumbers
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.commands import service as commands_service
from app.contacts import do_not_call
from app.contacts.models import Contact
from app.database import ROW_LOCK, utcnow
from app.errors import Conflict
from app.lists import dialer
from app.lists.models import (
    Attempt,
    AttemptStatus,
    CallList,
    DialStatus,
    ListContact,
    ListContactStatus,
    ListMode,
)
from app.operators import state as operator_state
from app.operators.models import Operator, OperatorState


def dial(
    *, session: Session, attempt_id: int, operator: User, vendor: str | None, no_vendor: str, again: bool, now: datetime
) -> Attempt:
    """Asks the PBX to ring the manager's phone, then the contact (click-to-call), once: a dial
    that may have happened already (``unknown``) is repeated only when the manager says ``again``.
    A number that cannot be dialled ends the attempt as ``wrong_number`` before any command."""
    attempt, _ = dialer.own_open(session=session, attempt_id=attempt_id, operator=operator)
    if attempt.dial_status == DialStatus.requested:
        raise Conflict("the PBX is placing this call already")
    if attempt.dial_status in (DialStatus.unknown, DialStatus.connected) and not again:
        raise Conflict(
            f"this attempt was dialled ({attempt.dial_status}): dial again with again=true, or write its result"
        )
    contact = session.get(Contact, attempt.contact_id)
    if refusal := do_not_call.reason(session=session, phone=contact.phone):
        raise Conflict(refusal)
    if not _dialable(contact.phone):
        return dialer.record_result(
            session=session, attempt_id=attempt_id, operator=operator, result="wrong_number", now=now
        )
    if not operator.extension:
        raise Conflict("you have no extension to ring; ask an admin to set one")
    if vendor is None:
        raise Conflict(no_vendor)
    busy = session.execute(select(Operator.state).where(Operator.user_id == operator.id)).scalar()
    if busy in (OperatorState.ringing, OperatorState.on_call, OperatorState.dialing):
        raise Conflict(f"you are {busy.replace('_', ' ')}: one call at a time")
    command = commands_service.click_to_call(
        session=session,
        vendor=vendor,
        extension=operator.extension,
        phone=contact.phone,
        now=now,
        attempt_id=attempt.id,
        actor_id=operator.id,
    )
    attempt.dial_status, attempt.command_id, attempt.dialled_at = DialStatus.requested, command.command_id, now
    operator_state.dialing(session=session, operator_id=operator.id, on=True, now=now)
    return attempt


def _dialable(phone: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return False


def dial_answered(*, session: Session, attempt_id: int, placed: bool | None) -> None:
    """What the PBX said of an attempt's command: placing it (True), refused (False), or no
    answer in time (None: it may have dialled — ``unknown``, never sent again by itself)."""
    attempt = session.get(Attempt, attempt_id, with_for_update=ROW_LOCK)
    if attempt.dial_status != DialStatus.requested:
        return
    if placed is None:
        attempt.dial_status = DialStatus.unknown
        operator_state.dialing(session=session, operator_id=attempt.operator_id, on=False, now=utcnow())
    elif not placed:
        _dial_failed(session=session, attempt=attempt)


def link_calls(*, session: Session, calls, legs: dict, confirm_within: timedelta) -> None:
    """Links outbound calls to the attempts that placed them: by the command id a PBX echoes on
    its legs (MANGO), else by the same number, the manager's extension on one of the call's legs,
    and a start within ``confirm_within`` of the dial (Zadarma) — or, on a ``manual`` list (the
    manager dials from their own phone), a start while the attempt is open."""
    outbound = [c for c in calls if c.direction == "outbound" and c.number]
    if not outbound:
        return
    placed = Attempt.dial_status.in_([DialStatus.requested, DialStatus.unknown])
    dialled_by_hand = and_(
        Attempt.status == AttemptStatus.open, Attempt.dial_status.is_(None), CallList.mode == ListMode.manual
    )
    waiting = session.execute(
        select(Attempt, Contact.phone, User.extension)
        .join(Contact, Contact.id == Attempt.contact_id)
        .join(User, User.id == Attempt.operator_id)
        .join(CallList, CallList.id == Attempt.list_id)
        .where(or_(placed, dialled_by_hand), Attempt.call_id.is_(None))
        .where(Contact.phone.in_({c.number for c in outbound}))
    ).all()
    for call in outbound:
        call_legs = legs.get(call.id, {}).values()
        commands = {leg.command_id for leg in call_legs if leg.command_id}
        extensions = {leg.extension for leg in call_legs if leg.extension} | {call.operator_extension}
        for attempt, phone, extension in waiting:
            if attempt.call_id is not None or phone != call.number:
                continue
            since = attempt.dialled_at or attempt.created_at
            until = since + confirm_within if attempt.dialled_at else call.started_at
            in_time = since - timedelta(seconds=5) <= call.started_at <= until
            if attempt.command_id in commands or (extension in extensions and in_time):
                attempt.call_id, attempt.dial_status = call.id, DialStatus.connected
                break


def expire_dials(*, session: Session, now: datetime, confirm_within: timedelta) -> int:
    """Dials no call came of within ``confirm_within``: ``dial_failed``, which uses up no attempt."""
    stale = session.execute(
        select(Attempt)
        .where(Attempt.dial_status == DialStatus.requested, Attempt.dialled_at < now - confirm_within)
        .with_for_update(skip_locked=True, **ROW_LOCK)
    ).scalars()
    count = 0
    for attempt in stale:
        _dial_failed(session=session, attempt=attempt, now=now)
        count += 1
    return count


def _dial_failed(*, session: Session, attempt: Attempt, now: datetime | None = None) -> None:
    """The attempt ends as ``dial_failed``: the contact is due again at once, its tries untouched."""
    attempt.dial_status = DialStatus.failed
    operator_state.dialing(session=session, operator_id=attempt.operator_id, on=False, now=now or utcnow())
    if attempt.status != AttemptStatus.open:
        return
    entry = session.get(ListContact, attempt.list_contact_id, with_for_update=ROW_LOCK)
    entry.status, entry.last_result = ListContactStatus.waiting, DialStatus.failed.value
    attempt.status, attempt.result, attempt.finished_at = AttemptStatus.done, DialStatus.failed.value, now or utcnow()
    dialer.unclaim(session=session, attempt=attempt)
