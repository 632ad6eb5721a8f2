"""Touches: every call (recorded as it gets its outcome) and every note, e-mail, meeting or message.

A deal counts its touches and remembers the last one: the method's buyers need about seven, and
most managers stop after five.
"""

from datetime import datetime

from sqlalchemy import bindparam, case, insert, select, update
from sqlalchemy.orm import Session

from app.calls.models import Call, Outcome
from app.crm.models import Deal, Touch, TouchChannel
from schemas.pbx_events import Direction


def record(
    *,
    session: Session,
    contact_id: int,
    deal_id: int | None,
    channel: TouchChannel,
    at: datetime,
    operator_id: int | None = None,
    direction: str | None = None,
    answered: bool | None = None,
    call_id: int | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> Touch:
    touch = Touch(
        contact_id=contact_id,
        deal_id=deal_id,
        channel=channel,
        at=at,
        operator_id=operator_id,
        direction=direction,
        answered=answered,
        call_id=call_id,
        reason=reason,
        note=note,
    )
    session.add(touch)
    if deal_id is not None:
        session.execute(_TOUCHED, {"deal_id": deal_id, "at": at})
    return touch


def _latest(column, at):
    """A back-filled touch never moves the deal's clock back: the latest touch, not the last written."""
    return case((column.is_(None) | (column < at), at), else_=column)


# Built once: every call with an outcome is a touch (see app/database.py).
_DEALS = Deal.__table__
_TOUCH_AT = bindparam("at", type_=_DEALS.c.last_touch_at.type)
_TOUCHED = (
    update(_DEALS)
    .where(_DEALS.c.id == bindparam("deal_id"))
    .values(
        touch_count=_DEALS.c.touch_count + 1,
        last_touch_at=_latest(_DEALS.c.last_touch_at, _TOUCH_AT),
        updated_at=_latest(_DEALS.c.updated_at, _TOUCH_AT),
    )
)
_TOUCH_OF_CALL = select(Touch).where(Touch.call_id == bindparam("call_id"))
_NEW_TOUCH = insert(Touch.__table__)


def record_call(*, session: Session, call: Call, outcome_before: Outcome | None, batch: list[dict]) -> None:
    """A call with an outcome is a touch of its contact (and of the deal it was about); a corrected
    outcome corrects the touch.  ``outcome_before``: the call's outcome before this change (a
    call's first outcome has no touch yet: nothing to look for).  A new touch joins ``batch``,
    which ``write_calls`` writes once the batch's calls are followed: written one by one, each
    touch was an object to build and a flush of its own before the next call's queries."""
    if call.contact_id is None or call.direction == Direction.internal or call.outcome is None:
        return
    answered = call.outcome == Outcome.answered
    existing = None
    if outcome_before is not None:
        existing = session.execute(_TOUCH_OF_CALL, {"call_id": call.id}).scalar_one_or_none()
    if existing is not None:
        existing.answered = answered
        return
    if call.deal_id is not None:
        session.execute(_TOUCHED, {"deal_id": call.deal_id, "at": call.started_at})
    batch.append(
        {
            "contact_id": call.contact_id,
            "deal_id": call.deal_id,
            "channel": TouchChannel.call,
            "at": call.started_at,
            "operator_id": call.operator_id,
            "direction": call.direction,
            "answered": answered,
            "call_id": call.id,
            "reason": None,
            "note": None,
        }
    )


def write_calls(session: Session, batch: list[dict]) -> None:
    """The calls' new touches (``record_call``), in one statement."""
    if batch:
        session.execute(_NEW_TOUCH, batch)
