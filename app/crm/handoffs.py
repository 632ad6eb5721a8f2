"""Active sales' relay: a booked meeting hands the client from the first-line manager to a closer,
and a deal reaching its pipeline's hand-off stage (the contract) hands it on to an account manager,
so the closer goes back to new clients.  Each hand-off is an owner change (reasons ``meeting`` and
``handoff``): the client's open deals move with it, and the routing's sticky step sends the
client's next calls to the new owner."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.contacts.models import Contact
from app.crm import ownership
from app.crm.models import Deal, DealStatus, Pipeline, Stage
from app.database import ROW_LOCK
from app.errors import Unprocessable
from app.operators.lookup import with_team_role

CLOSER, ACCOUNT_MANAGER = "closer", "account_manager"


def after_entering(
    *, session: Session, deal: Deal, stage: Stage, by: int | None, now: datetime, closer_id: int | None = None
) -> None:
    """Hands the client on when ``stage`` is the pipeline's meeting or hand-off stage; ``closer_id``:
    the closer chosen at booking (else the one with the fewest open deals)."""
    pipeline = session.get(Pipeline, deal.pipeline_id)
    if stage.id == pipeline.meeting_stage_id:
        closers = with_team_role(session=session, role=CLOSER)
        if closer_id is not None and closer_id not in closers:
            raise Unprocessable(f"user {closer_id} is not an active closer (team role closer)")
        to = closer_id or (deal.owner_id if deal.owner_id in closers else _least_busy(session, closers))
        if to is not None:
            deal.closer_id = to
            _hand(session=session, deal=deal, to=to, by=by, reason="meeting", now=now)
    elif stage.id == pipeline.handoff_stage_id:
        if deal.closer_id is None and deal.owner_id in with_team_role(session=session, role=CLOSER):
            deal.closer_id = deal.owner_id  # a closer who found the client themselves
        managers = with_team_role(session=session, role=ACCOUNT_MANAGER)
        to = deal.owner_id if deal.owner_id in managers else _least_busy(session, managers)
        if to is not None:
            _hand(session=session, deal=deal, to=to, by=by, reason="handoff", now=now)


def _least_busy(session: Session, candidates: list[int]) -> int | None:
    """The candidate with the fewest open deals (the lowest id among equals); None: nobody plays the role."""
    if not candidates:
        return None
    open_deals = dict(
        session.execute(
            select(Deal.owner_id, func.count())
            .where(Deal.owner_id.in_(candidates), Deal.status == DealStatus.open)
            .group_by(Deal.owner_id)
        ).all()
    )
    return min(candidates, key=lambda user_id: (open_deals.get(user_id, 0), user_id))


def _hand(*, session: Session, deal: Deal, to: int, by: int | None, reason: str, now: datetime) -> None:
    contact = session.get(Contact, deal.contact_id, with_for_update=ROW_LOCK)
    ownership.change_owner(session=session, contact=contact, owner_id=to, by=by or to, reason=reason, now=now)
    deal.owner_id = to  # change_owner moved the open deals in the database, not this loaded one
