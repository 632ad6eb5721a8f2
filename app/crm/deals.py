"""Deals: who may start one, stage moves (every one kept), losing with a reason, and the stage
snapshot every call records.  Synchronous, for ``Database.run``."""

from collections.abc import Iterable, Set
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.calls.models import Call
from app.contacts.models import Contact
from app.crm import handoffs, ownership, pipelines
from app.crm.models import Deal, DealStageMove, DealStatus, RefusalReason, Stage
from app.crm.takeover import Takeover
from app.database import ROW_LOCK
from app.errors import Conflict, NotFound, Unprocessable
from app.operators.lookup import require_operator


def create(
    *,
    session: Session,
    actor: User,
    contact_id: int,
    pipeline_id: int | None,
    stage_id: int | None,
    owner_id: int | None,
    amount: float | None,
    takeover: Takeover,
    now: datetime,
) -> Deal:
    """A new deal on a contact; the contact's one owner owns it (see ``_owner_for``)."""
    contact = session.get(Contact, contact_id, with_for_update=ROW_LOCK)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    pipeline = pipelines.get(session=session, pipeline_id=pipeline_id)
    owner = _owner_for(session=session, actor=actor, contact=contact, owner_id=owner_id, takeover=takeover, now=now)
    deal = Deal(
        contact_id=contact.id,
        pipeline_id=pipeline.id,
        owner_id=owner,
        amount=amount,
        created_at=now,
        updated_at=now,
    )
    session.add(deal)
    session.flush()
    if stage_id is not None:
        _enter(
            session=session,
            deal=deal,
            stage=_stage_of(session=session, deal=deal, stage_id=stage_id),
            by=actor.id,
            now=now,
        )
    return deal


def move(
    *, session: Session, actor: User, deal_id: int, stage_id: int, now: datetime, closer_id: int | None = None
) -> Deal:
    """Moves an open deal to a stage of its pipeline (forward or back); every move is kept.  Into
    the meeting stage it goes to a closer (``closer_id``, or the least busy), into the hand-off
    stage to an account manager (``handoffs``)."""
    deal = _for_work(session=session, actor=actor, deal_id=deal_id)
    stage = _stage_of(session=session, deal=deal, stage_id=stage_id)
    _enter(session=session, deal=deal, stage=stage, by=actor.id, now=now, closer_id=closer_id)
    return deal


def lose(*, session: Session, actor: User, deal_id: int, reason_id: int, now: datetime) -> Deal:
    deal = _for_work(session=session, actor=actor, deal_id=deal_id)
    reason = session.get(RefusalReason, reason_id)
    if reason is None or not reason.active:
        raise Unprocessable(f"no refusal reason {reason_id}: a lost deal needs one of /api/refusal-reasons")
    deal.status, deal.refusal_reason_id, deal.closed_at, deal.updated_at = DealStatus.lost, reason.id, now, now
    if reason.reopen_after_days:
        deal.reopen_at = now + timedelta(days=reason.reopen_after_days)
    return deal


def reopen(*, session: Session, deal: Deal, as_new_deal: bool, now: datetime) -> Deal:
    """A lost deal gets another chance: open again at the stage it was lost in, or a fresh deal on the
    list for the same client and owner."""
    if not as_new_deal:
        deal.status, deal.closed_at, deal.updated_at = DealStatus.open, None, now
        return deal
    fresh = Deal(
        contact_id=deal.contact_id, pipeline_id=deal.pipeline_id, owner_id=deal.owner_id, created_at=now, updated_at=now
    )
    session.add(fresh)
    session.flush()
    return fresh


def win(*, session: Session, actor: User, deal_id: int, now: datetime, amount: float | None = None) -> Deal:
    deal = _for_work(session=session, actor=actor, deal_id=deal_id)
    deal.status, deal.closed_at, deal.updated_at = DealStatus.won, now, now
    if amount is not None:
        deal.amount = amount
    return deal


def snapshot_stage(*, session: Session, calls: Iterable[Call], new_contacts: Set[int] = frozenset()) -> None:
    """Each call linked to a contact records the contact's open deal and its stage, once: the one
    most recently worked on when the contact has several.  ``new_contacts``, created in this
    transaction, have no deal to ask about."""
    calls = list(calls)
    waiting = {
        call.contact_id: call
        for call in calls
        if call.contact_id is not None and call.deal_id is None and call.contact_id not in new_contacts
    }
    if not waiting:
        return
    rows = session.execute(
        select(Deal.contact_id, Deal.id, Deal.stage_id)
        .where(Deal.contact_id.in_(waiting), Deal.status == DealStatus.open)
        .order_by(Deal.contact_id, Deal.updated_at.desc(), Deal.id.desc())
    ).all()
    seen: set[int] = set()
    for contact_id, deal_id, stage_id in rows:
        if contact_id not in seen:
            seen.add(contact_id)
            for call in calls:
                if call.contact_id == contact_id and call.deal_id is None:
                    call.deal_id, call.deal_stage_id = deal_id, stage_id


def start_for_new_client(*, session: Session, call: Call, pipeline_id: int | None, now: datetime) -> None:
    """A new client answered from a queue that starts deals (in ``pipeline_id``): a deal in the
    pipeline's first stage, owned by the manager who answered (who becomes the client's owner),
    and the call is about it."""
    if pipeline_id is None or call.contact_id is None or call.operator_id is None or call.deal_id is not None:
        return
    contact = session.get(Contact, call.contact_id, with_for_update=ROW_LOCK)
    known = session.execute(select(Deal.id).where(Deal.contact_id == contact.id).limit(1)).first()
    if known is not None or contact.owner_id not in (None, call.operator_id):
        return
    first = pipelines.stages_of(session=session, pipeline_id=pipeline_id)[0]
    ownership.change_owner(
        session=session, contact=contact, owner_id=call.operator_id, by=call.operator_id, reason="answered", now=now
    )
    deal = Deal(
        contact_id=contact.id, pipeline_id=pipeline_id, owner_id=call.operator_id, created_at=now, updated_at=now
    )
    session.add(deal)
    session.flush()
    _enter(session=session, deal=deal, stage=first, by=call.operator_id, now=now)
    call.deal_id, call.deal_stage_id = deal.id, first.id


def _owner_for(
    *, session: Session, actor: User, contact: Contact, owner_id: int | None, takeover: Takeover, now: datetime
) -> int:
    """One owner per contact.  A manager starts deals on their own or ownerless clients (becoming
    the owner); another manager's client needs an explicit takeover, which is logged (and may be
    the supervisors' alone: ``Takeover``).  Supervisors name the owner (reassigning the client,
    logged) or keep the current one, who must be an operator."""
    if actor.role == Role.operator:
        if owner_id not in (None, actor.id):
            raise Conflict("managers start deals for themselves; ask a supervisor to assign one to someone else")
        if contact.owner_id not in (None, actor.id):
            conflict = f"contact {contact.id} is another manager's client (user {contact.owner_id})"
            takeover.permit(actor=actor, conflict=conflict)
        target, reason = actor.id, ("takeover" if contact.owner_id is not None else "claimed")
    else:
        target = owner_id if owner_id is not None else contact.owner_id
        if target is None:
            raise Unprocessable("the contact has no owner yet: name owner_id")
        require_operator(session=session, user_id=target, as_what="a client's manager")
        reason = "reassigned"
    ownership.change_owner(session=session, contact=contact, owner_id=target, by=actor.id, reason=reason, now=now)
    return target


def _for_work(*, session: Session, actor: User, deal_id: int) -> Deal:
    deal = session.get(Deal, deal_id, with_for_update=ROW_LOCK)
    if deal is None:
        raise NotFound(f"no deal {deal_id}")
    if deal.status != DealStatus.open:
        raise Conflict(f"deal {deal_id} is already {deal.status}")
    if actor.role == Role.operator and deal.owner_id != actor.id:
        raise Conflict(f"deal {deal_id} belongs to another manager (user {deal.owner_id})")
    return deal


def _stage_of(*, session: Session, deal: Deal, stage_id: int) -> Stage:
    stage = session.get(Stage, stage_id)
    if stage is None or stage.pipeline_id != deal.pipeline_id:
        raise Unprocessable(f"stage {stage_id} is not a stage of the deal's pipeline {deal.pipeline_id}")
    return stage


def _enter(
    *, session: Session, deal: Deal, stage: Stage, by: int | None, now: datetime, closer_id: int | None = None
) -> None:
    move = DealStageMove(
        deal_id=deal.id,
        from_stage_id=deal.stage_id,
        to_stage_id=stage.id,
        by_user_id=by,
        owner_id=deal.owner_id,
        at=now,
    )
    session.add(move)
    deal.stage_id, deal.updated_at = stage.id, now
    handoffs.after_entering(session=session, deal=deal, stage=stage, by=by, now=now, closer_id=closer_id)


def with_moves(*, session: Session, deal_id: int) -> tuple[Deal, list[DealStageMove]]:
    """A deal and every stage move it made, oldest first; NotFound."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise NotFound(f"no deal {deal_id}")
    query = select(DealStageMove).where(DealStageMove.deal_id == deal_id).order_by(DealStageMove.id)
    return deal, list(session.execute(query).scalars())


def list_query(
    *, contact_id: int | None, owner_id: int | None, pipeline_id: int | None, status: DealStatus | None
) -> Select:
    """Deals, the most recently worked on first."""
    query = select(Deal).order_by(Deal.updated_at.desc(), Deal.id.desc())
    for column, value in (
        (Deal.contact_id, contact_id),
        (Deal.owner_id, owner_id),
        (Deal.pipeline_id, pipeline_id),
        (Deal.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    return query
