"""What each person brought in a month, read from what the work left behind: contacts confirmed
(a first attempt reached a person), meetings booked and held, contracts (deals reaching the
hand-off stage), deals won and their amounts.

A meeting is *booked* when a deal first enters its pipeline's meeting stage (credited to the
deal's owner then, the first-line manager) and *held* when it first goes past it (the closer
moves it on; still credited to whoever booked it).  A contract is credited to the deal's closer.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.contacts.models import Contact
from app.crm.models import Deal, DealStageMove, DealStatus, Pipeline, Stage
from app.lists.dialer import REACHED_A_PERSON
from app.lists.models import Attempt
from app.team.models import MeetingCounted
from app.team.money import exact


@dataclass
class Results:
    """The month's figures, each by the person credited (a None key: nobody to credit)."""

    confirmed: Counter = field(default_factory=Counter)  # collected_by → contacts confirmed
    reached: Counter = field(default_factory=Counter)  # first-line manager → contacts their attempts reached
    booked: Counter = field(default_factory=Counter)  # booker → meetings booked
    held: Counter = field(default_factory=Counter)  # booker → meetings held
    held_by_closer: Counter = field(default_factory=Counter)  # closer → meetings held
    contracts: Counter = field(default_factory=Counter)  # closer → contracts
    contracts_booked_by: Counter = field(default_factory=Counter)  # booker → contracts from their meetings
    won: Counter = field(default_factory=Counter)  # owner → deals won
    won_as_closer: dict[int, Decimal] = field(default_factory=dict)  # closer → amount won
    won_as_owner: dict[int, Decimal] = field(default_factory=dict)  # owner → amount won
    # The collector's chain: meetings and contracts on the contacts they collected.
    booked_on_collected: Counter = field(default_factory=Counter)
    held_on_collected: Counter = field(default_factory=Counter)
    contracts_on_collected: Counter = field(default_factory=Counter)

    def meetings(self, counted: MeetingCounted) -> Counter:
        return self.booked if counted == MeetingCounted.booked else self.held

    def meetings_on_collected(self, counted: MeetingCounted) -> Counter:
        return self.booked_on_collected if counted == MeetingCounted.booked else self.held_on_collected


def of_month(*, session: Session, since: datetime, until: datetime) -> Results:
    results = Results()

    def within(at: datetime | None) -> bool:
        return at is not None and since <= at < until

    results.confirmed.update(
        dict(
            session.execute(
                select(Contact.collected_by, func.count())
                .where(Contact.collected_by.is_not(None), Contact.confirmed_at >= since, Contact.confirmed_at < until)
                .group_by(Contact.collected_by)
            ).all()
        )
    )
    results.reached.update(
        dict(
            session.execute(
                select(Attempt.operator_id, func.count(func.distinct(Attempt.contact_id)))
                .where(Attempt.result.in_(REACHED_A_PERSON), Attempt.finished_at >= since, Attempt.finished_at < until)
                .group_by(Attempt.operator_id)
            ).all()
        )
    )
    booked, held, contracted = _milestones(session, until)
    deals = _deals(session, set(booked) | set(held) | set(contracted))
    for deal_id, (booker, at) in booked.items():
        collector = deals[deal_id][1]
        if within(at):
            results.booked[booker] += 1
            results.booked_on_collected[collector] += 1
        if within(held.get(deal_id)):
            results.held[booker] += 1
            results.held_on_collected[collector] += 1
    for deal_id, at in held.items():
        if within(at) and (closer := deals[deal_id][0]) is not None:
            results.held_by_closer[closer] += 1
    for deal_id, at in contracted.items():
        closer, collector = deals[deal_id]
        if within(at):
            results.contracts[closer] += 1
            results.contracts_on_collected[collector] += 1
            if deal_id in booked:
                results.contracts_booked_by[booked[deal_id][0]] += 1
    for owner_id, closer_id, amount in session.execute(
        select(Deal.owner_id, Deal.closer_id, Deal.amount).where(
            Deal.status == DealStatus.won, Deal.closed_at >= since, Deal.closed_at < until
        )
    ):
        results.won[owner_id] += 1
        results.won_as_owner[owner_id] = results.won_as_owner.get(owner_id, Decimal(0)) + exact(amount)
        if closer_id is not None:
            results.won_as_closer[closer_id] = results.won_as_closer.get(closer_id, Decimal(0)) + exact(amount)
    return results


def _milestones(session: Session, until: datetime) -> tuple[dict, dict, dict]:
    """Per deal: the first booking (booker, when), the first move past the meeting stage, the first
    move into the hand-off stage — each before ``until``."""
    booked: dict[int, tuple[int, datetime]] = {}
    for deal_id, owner_id, at in session.execute(
        select(DealStageMove.deal_id, DealStageMove.owner_id, DealStageMove.at)
        .join(Deal, Deal.id == DealStageMove.deal_id)
        .join(Pipeline, Pipeline.id == Deal.pipeline_id)
        .where(DealStageMove.to_stage_id == Pipeline.meeting_stage_id, DealStageMove.at < until)
        .order_by(DealStageMove.id)
    ):
        booked.setdefault(deal_id, (owner_id, at))
    entered, meeting = aliased(Stage), aliased(Stage)
    held = dict(
        session.execute(
            select(DealStageMove.deal_id, func.min(DealStageMove.at))
            .join(Deal, Deal.id == DealStageMove.deal_id)
            .join(Pipeline, Pipeline.id == Deal.pipeline_id)
            .join(meeting, meeting.id == Pipeline.meeting_stage_id)
            .join(entered, entered.id == DealStageMove.to_stage_id)
            .where(entered.position > meeting.position, DealStageMove.at < until)
            .group_by(DealStageMove.deal_id)
        ).all()
    )
    contracted = dict(
        session.execute(
            select(DealStageMove.deal_id, func.min(DealStageMove.at))
            .join(Deal, Deal.id == DealStageMove.deal_id)
            .join(Pipeline, Pipeline.id == Deal.pipeline_id)
            .where(DealStageMove.to_stage_id == Pipeline.handoff_stage_id, DealStageMove.at < until)
            .group_by(DealStageMove.deal_id)
        ).all()
    )
    return booked, held, contracted


def _deals(session: Session, deal_ids: set[int]) -> dict[int, tuple[int | None, int | None]]:
    """(closer, collector of its contact) per deal."""
    found = {}
    ids = sorted(deal_ids)
    for start in range(0, len(ids), 5000):
        for deal_id, closer_id, collected_by in session.execute(
            select(Deal.id, Deal.closer_id, Contact.collected_by)
            .join(Contact, Contact.id == Deal.contact_id)
            .where(Deal.id.in_(ids[start : start + 5000]))
        ):
            found[deal_id] = (closer_id, collected_by)
    return found
