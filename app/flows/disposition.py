"""After-call disposition, from the panel or REST (one path): a note, the next step (a follow-up
task when it has a date), the funnel (the call's deal moved to a stage, or lost with a reason), and
the client's wish not to be called again (the do-not-call register)."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.calls import timeline
from app.calls.models import Call, CallDisposition
from app.contacts import do_not_call as do_not_call_register
from app.crm import deals, tasks
from app.crm.models import TaskKind
from app.dispatch.models import Offer
from app.errors import Forbidden, NotFound, Unprocessable


def record(
    *,
    session: Session,
    call_id: int,
    actor: User,
    now: datetime,
    note: str | None = None,
    next_step: str | None = None,
    next_step_at: datetime | None = None,
    stage_id: int | None = None,
    refusal_reason_id: int | None = None,
    do_not_call: bool = False,
) -> CallDisposition:
    """Writes the disposition of a call the operator took part in (403 otherwise)."""
    operator_id = actor.id
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound(f"no call {call_id}")
    if call.operator_id != operator_id and not _was_offered(session=session, call_id=call_id, operator_id=operator_id):
        raise Forbidden(f"call {call_id} was not yours")
    if stage_id is not None or refusal_reason_id is not None:
        if call.deal_id is None:
            raise Unprocessable(f"call {call_id} was not about a deal: start one with POST /api/deals")
        if stage_id is not None:
            deals.move(session=session, actor=actor, deal_id=call.deal_id, stage_id=stage_id, now=now)
        if refusal_reason_id is not None:
            deals.lose(session=session, actor=actor, deal_id=call.deal_id, reason_id=refusal_reason_id, now=now)
    if do_not_call:
        if call.number is None:
            raise Unprocessable(f"call {call_id} came from a hidden number: there is nothing to list")
        do_not_call_register.add_if_missing(
            session=session, phone=call.number, source="disposition", listed_on=now.date(), by=operator_id, now=now
        )
    if next_step_at is not None:
        tasks.create(
            session=session,
            owner_id=operator_id,
            kind=TaskKind.follow_up,
            title=next_step or f"next touch after call {call_id}",
            due_at=next_step_at,
            now=now,
            deal_id=call.deal_id,
            contact_id=call.contact_id,
        )
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
        stage_id=stage_id,
        refusal_reason_id=refusal_reason_id,
        do_not_call=do_not_call,
    )
    return disposition


def _was_offered(*, session: Session, call_id: int, operator_id: int) -> bool:
    query = select(Offer.id).where(Offer.call_id == call_id, Offer.operator_id == operator_id)
    return session.execute(query.limit(1)).first() is not None
