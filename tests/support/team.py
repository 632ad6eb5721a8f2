"""A month of active sales written straight into the database, the rows the dialer, the hand-offs
and the deals' API leave behind (hundreds of them: what a month of a team's work is, too many to
play call by call in a test)."""

from datetime import datetime, timedelta
from itertools import count

from app.contacts.models import Contact
from app.crm.models import Deal, DealStageMove, DealStatus

_phones = count(1)


def confirmed_contacts(session, *, collector: int, how_many: int, at: datetime) -> None:
    for _ in range(how_many):
        phone = f"+7495300{next(_phones):04d}"
        session.add(Contact(phone=phone, phone_raw=phone, collected_by=collector, confirmed_at=at))


def deal_through(
    session,
    *,
    pipeline: dict,
    stages: dict[str, int],
    booker: int,
    closer: int,
    until: str,
    at: datetime,
    amount: float | None = None,
) -> None:
    """A deal booked by ``booker``, handed to ``closer`` and moved on up to stage ``until``; won
    with ``amount`` when one is given."""
    phone = f"+7495300{next(_phones):04d}"
    contact = Contact(phone=phone, phone_raw=phone, owner_id=closer)
    session.add(contact)
    session.flush()
    deal = Deal(contact_id=contact.id, pipeline_id=pipeline["id"], owner_id=closer, closer_id=closer, amount=amount)
    session.add(deal)
    session.flush()
    names = list(stages)
    previous = None
    for step, name in enumerate(names[: names.index(until) + 1]):
        held_by = booker if stages[name] in (stages["reached"], pipeline["meeting_stage_id"]) else closer
        session.add(
            DealStageMove(
                deal_id=deal.id,
                from_stage_id=previous,
                to_stage_id=stages[name],
                owner_id=held_by,
                at=at + timedelta(seconds=step),
            )
        )
        previous = stages[name]
    deal.stage_id = previous
    if amount is not None:
        deal.status, deal.closed_at = DealStatus.won, at + timedelta(minutes=1)
