"""After-call disposition: the operator's note and next step, from the panel or REST (one path)."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calls.models import Call, CallDisposition
from app.dispatch import timeline
from app.dispatch.models import Offer
from app.errors import Forbidden, NotFound


def record(
    *,
    session: Session,
    call_id: int,
    operator_id: int,
    note: str | None,
    next_step: str | None,
    next_step_at: datetime | None,
    now: datetime,
) -> CallDisposition:
    """Writes the disposition of a call the operator took part in (403 otherwise)."""
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound(f"no call {call_id}")
    if call.operator_id != operator_id and not _was_offered(session=session, call_id=call_id, operator_id=operator_id):
        raise Forbidden(f"call {call_id} was not yours")
    disposition = CallDisposition(
        call_id=call_id,
        operator_id=operator_id,
        note=note,
        next_step=next_step,
        next_step_at=next_step_at,
        created_at=now,
    )
    session.add(disposition)
    session.flush()
    timeline.note(
        session,
        call_id=call_id,
        at=now,
        kind="disposition",
        operator_id=operator_id,
        disposition_id=disposition.id,
        next_step=next_step,
    )
    return disposition


def _was_offered(*, session: Session, call_id: int, operator_id: int) -> bool:
    query = select(Offer.id).where(Offer.call_id == call_id, Offer.operator_id == operator_id)
    return session.execute(query.limit(1)).first() is not None
