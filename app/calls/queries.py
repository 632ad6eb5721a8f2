"""Reading calls back for the API."""

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.calls.models import Call, CallLeg, CallTransition, Outcome
from app.errors import NotFound


def list_query(
    *,
    number: str | None,
    e164: str | None,
    outcome: Outcome | None,
    direction: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Select:
    """Calls, newest first; ``number`` as written, ``e164`` when it reads as a phone number."""
    query = select(Call).order_by(Call.started_at.desc(), Call.id.desc())
    if number is not None:
        query = query.where(Call.number == e164 if e164 else Call.number_raw == number)  # indexed either way
    if outcome is not None:
        query = query.where(Call.outcome == outcome)
    if direction is not None:
        query = query.where(Call.direction == direction)
    if since is not None:
        query = query.where(Call.started_at >= since)
    if until is not None:
        query = query.where(Call.started_at < until)
    return query


def of_contact(*, session: Session, contact_id: int, limit: int) -> list[Call]:
    """The contact's latest calls, newest first."""
    query = select(Call).where(Call.contact_id == contact_id).order_by(Call.started_at.desc()).limit(limit)
    return list(session.execute(query).scalars())


def detail(*, session: Session, call_id: int) -> tuple[Call, list[CallLeg], list[CallTransition]]:
    """The call, its legs and its timeline; NotFound."""
    call = get(session=session, call_id=call_id)
    if call is None:
        raise NotFound(f"no call {call_id}")
    return call, legs_of(session=session, call_id=call_id), timeline(session=session, call_id=call_id)


def get(*, session: Session, call_id: int) -> Call | None:
    """The call with this id."""
    return session.get(Call, call_id)


def timeline(*, session: Session, call_id: int) -> list[CallTransition]:
    """The call's transitions, oldest first."""
    query = (
        select(CallTransition).where(CallTransition.call_id == call_id).order_by(CallTransition.at, CallTransition.id)
    )
    return list((session.execute(query)).scalars())


def legs_of(*, session: Session, call_id: int) -> list[CallLeg]:
    """The call's legs in the order they appeared."""
    query = select(CallLeg).where(CallLeg.call_id == call_id).order_by(CallLeg.appeared_at, CallLeg.id)
    return list((session.execute(query)).scalars())
