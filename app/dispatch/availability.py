"""An operator's own moves that change who gets calls: leaving hands their ringing offers on,
coming back (or finishing wrap-up) has the waiting calls offered."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dispatch import offers as dispatch_offers
from app.dispatch import queueing
from app.dispatch.models import Offer, OfferStatus
from app.errors import Conflict, NotFound
from app.operators import state as operator_state
from app.operators.models import Operator, OperatorState


def change_state(*, session: Session, operator_id: int, state: OperatorState, now: datetime) -> None:
    """Sets an operator's own state; a ringing offer is handed on, a call in progress refuses (409)."""
    current = session.execute(select(Operator.state).where(Operator.user_id == operator_id)).scalar()
    if current is None:
        raise NotFound(f"no operator {operator_id}")
    if current == OperatorState.on_call:
        raise Conflict("the operator is on a call; change the state after it")
    if current == OperatorState.ringing and state == OperatorState.available:
        return
    ringing = lock_ringing_offers(session=session, operator_id=operator_id)
    # The state moves first, so the call the operator leaves is offered to someone else, not back to them.
    if not operator_state.set_state(session=session, operator_id=operator_id, state=state, expected=current, now=now):
        raise Conflict("the operator's state changed meanwhile; try again")
    hand_on(session=session, offers=ringing, reason="operator_left", now=now)
    if state == OperatorState.available:
        queueing.serve_waiting(
            session=session, now=now, queue_ids=queueing.queues_of(session=session, operator_id=operator_id)
        )


def finish_wrap_up(*, session: Session, operator_id: int, now: datetime) -> None:
    """The operator is done with the last call's paperwork: available at once (409 when not in wrap-up)."""
    if not operator_state.finish_wrap_up(session=session, operator_id=operator_id, now=now):
        raise Conflict("the operator is not in wrap-up")
    queueing.serve_waiting(
        session=session, now=now, queue_ids=queueing.queues_of(session=session, operator_id=operator_id)
    )


def lock_ringing_offers(*, session: Session, operator_id: int) -> list[Offer]:
    """The operator's ringing offers, their queue entries locked (entries before operators: the lock order)."""
    ringing = list(
        session.execute(
            select(Offer).where(Offer.operator_id == operator_id, Offer.status == OfferStatus.ringing)
        ).scalars()
    )
    for offer in sorted(ringing, key=lambda o: o.entry_id):
        dispatch_offers.lock_entry(session=session, entry_id=offer.entry_id)
    return ringing


def hand_on(*, session: Session, offers: list[Offer], reason: str, now: datetime) -> None:
    """Withdraws the offers; each call goes to its next candidate."""
    for offer in offers:
        dispatch_offers.end_offer(session=session, offer=offer, status=OfferStatus.revoked, reason=reason, now=now)
