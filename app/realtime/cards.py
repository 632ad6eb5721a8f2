"""What the live clients are shown on connect and with an offer: read-only views of the database."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.callbacks.models import IS_OPEN, Callback
from app.callbacks.tracking import callback_payload
from app.calls.models import Call
from app.contacts.models import Contact
from app.crm.models import Deal, Pipeline, Stage
from app.dispatch.models import Offer, OfferStatus, QueueEntry
from app.operators.state import OPERATOR_STATES, operator_state_payload
from app.queues.models import Queue
from app.realtime import queue_stats

RECENT_CALLS = 5


def caller_card(*, session: Session, call_id: int) -> dict:
    """The caller's CRM card: contact, owner, VIP, last calls with outcomes and operators, open callbacks."""
    call = session.get(Call, call_id)
    contact = session.get(Contact, call.contact_id) if call.contact_id else None
    owner = session.get(User, contact.owner_id) if contact and contact.owner_id else None
    recent = []
    callbacks = []
    if call.number:
        rows = session.execute(
            select(Call, User.name)
            .outerjoin(User, User.id == Call.operator_id)
            .where(Call.number == call.number, Call.id != call.id)
            .order_by(Call.started_at.desc(), Call.id.desc())
            .limit(RECENT_CALLS)
        )
        recent = [
            {
                "call_id": past.id,
                "started_at": past.started_at.isoformat(),
                "direction": past.direction,
                "outcome": past.outcome,
                "operator": operator_name,
                "recorded": past.recording_id is not None,
            }
            for past, operator_name in rows.all()
        ]
        callbacks = _open_callbacks(session, Callback.phone == call.number)
    return {
        "number": call.number or call.number_raw,
        "contact": None
        if contact is None
        else {
            "id": contact.id,
            "phone": contact.phone,
            "name": contact.name,
            "company": contact.company,
            "owner": {"id": owner.id, "name": owner.name} if owner else None,
            "vip": contact.vip,
        },
        "deal": _open_deal(session, call),
        "recent_calls": recent,
        "open_callbacks": callbacks,
    }


def _open_deal(session: Session, call: Call) -> dict | None:
    """The deal the call is about (its snapshot), with the stage it is in now."""
    if call.deal_id is None:
        return None
    row = session.execute(
        select(Deal, Stage.name, Pipeline.name)
        .outerjoin(Stage, Stage.id == Deal.stage_id)
        .join(Pipeline, Pipeline.id == Deal.pipeline_id)
        .where(Deal.id == call.deal_id)
    ).first()
    if row is None:
        return None
    deal, stage, pipeline = row
    return {
        "id": deal.id,
        "pipeline": pipeline,
        "pipeline_id": deal.pipeline_id,
        "stage": stage,
        "stage_id": deal.stage_id,
        "status": deal.status,
        "amount": deal.amount,
        "touch_count": deal.touch_count,
        "last_touch_at": deal.last_touch_at.isoformat() if deal.last_touch_at else None,
    }


def offer_frame_fields(*, session: Session, offer_id: int, call_id: int, now: datetime) -> dict:
    """What an ``offer`` event gains on its way to the panel: the wait so far and the caller's card."""
    entered_at = (
        session.execute(
            select(QueueEntry.entered_at).join(Offer, Offer.entry_id == QueueEntry.id).where(Offer.id == offer_id)
        )
    ).scalar_one_or_none()
    return {
        "waited_seconds": round((now - entered_at).total_seconds(), 1) if entered_at else None,
        "card": caller_card(session=session, call_id=call_id),
    }


def operator_snapshot(*, session: Session, operator_id: int, now: datetime) -> dict:
    """The panel's starting point: the operator's state, the offer ringing, the call in progress, their callbacks."""
    operator = session.execute(OPERATOR_STATES.where(User.id == operator_id)).one()
    offer = None
    ringing = (
        session.execute(
            select(Offer, Queue, QueueEntry.entered_at)
            .join(QueueEntry, QueueEntry.id == Offer.entry_id)
            .join(Queue, Queue.id == QueueEntry.queue_id)
            .where(Offer.operator_id == operator_id, Offer.status == OfferStatus.ringing)
            .order_by(Offer.id.desc())
            .limit(1)
        )
    ).first()
    if ringing is not None:
        row, queue, entered_at = ringing
        offer = {
            "type": "offer",
            "offer_id": row.id,
            "call_id": row.call_id,
            "queue": {"id": queue.id, "name": queue.name},
            "entered_at": entered_at.isoformat(),
            "expires_at": row.expires_at.isoformat(),
            "rule": row.rule,
            **offer_frame_fields(session=session, offer_id=row.id, call_id=row.call_id, now=now),
        }
    call = None
    if operator.call_id is not None and operator.offer_id is None:
        current = session.get(Call, operator.call_id)
        call = {
            "call_id": current.id,
            "number": current.number or current.number_raw,
            "state": current.state,
            "started_at": current.started_at.isoformat(),
            "card": caller_card(session=session, call_id=current.id),
        }
    return {
        "operator": operator_state_payload(operator),
        "offer": offer,
        "call": call,
        "callbacks": _open_callbacks(session, Callback.assignee_id == operator_id),
    }


def supervisor_snapshot(*, session: Session, now: datetime) -> dict:
    """The supervisors' starting point: open callbacks, the agent board, the queues' figures."""
    callbacks = (
        session.execute(select(Callback).where(IS_OPEN).order_by(Callback.due_at, Callback.id).limit(1000))
    ).scalars()
    operators = session.execute(OPERATOR_STATES.order_by(User.name))
    queues = (session.execute(select(Queue).order_by(Queue.name))).scalars().all()
    return {
        "callbacks": [callback_payload(callback) for callback in callbacks],
        "operators": [operator_state_payload(operator) for operator in operators],
        "queues": list(queue_stats.compute(session, list(queues), now).values()),
    }


def _open_callbacks(session: Session, *where) -> list[dict]:
    rows = session.execute(select(Callback).where(IS_OPEN, *where).order_by(Callback.due_at).limit(20))
    return [callback_payload(callback) for callback in rows.scalars()]
