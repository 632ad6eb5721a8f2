"""Offering waiting calls to operators, and everything that ends an offer.

An offer exists only after its operator was claimed (``available`` → ``ringing``, one
conditional UPDATE); a call is taken by one conditional UPDATE of its queue entry, so of two
operators accepting one ring-all call at once exactly one wins.  Synchronous, for ``Database.run``.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app import instruments
from app.auth.models import User
from app.calls import timeline
from app.calls.models import Call
from app.commands import service as commands_service
from app.database import ROW_LOCK, utcnow
from app.dispatch import candidates
from app.dispatch.models import LIVE_ENTRY, EntryStatus, Offer, OfferStatus, QueueEntry, whole_seconds
from app.errors import Conflict, Forbidden, NotFound
from app.events import outbox
from app.operators import state as operator_state
from app.operators.models import OperatorState
from app.queues.models import Queue, QueueMode
from routing import QueuePolicy, Strategy, WaitingCall, decide

log = logging.getLogger(__name__)

_CLAIM_ROUNDS = 16  # concurrent dispatches may hold (or take) the first candidates: try the next ones


def dispatch(*, session: Session, entry: QueueEntry, queue: Queue, now: datetime) -> list[Offer]:
    """Offers a waiting call to whoever the queue's rules pick; returns the offers made (none: nobody free)."""
    if entry.status != EntryStatus.waiting:
        return []
    members, extensions = candidates.members(session=session, queue=queue)
    sticky = candidates.sticky(session=session, entry=entry, now=now, extensions=extensions)
    call = WaitingCall(
        waited_seconds=(now - entry.entered_at).total_seconds(), sticky=sticky, tried=frozenset(entry.tried)
    )
    policy = QueuePolicy(
        strategy=Strategy(queue.strategy),
        skill=queue.skill,
        min_level=queue.min_level,
        escalate_after_seconds=queue.escalate_after_seconds,
        escalated_min_level=queue.escalated_min_level,
    )
    for _ in range(_CLAIM_ROUNDS):
        decision = decide(policy, members, call, last_offered=queue.last_offered_id)
        if decision is None or (queue.mode == QueueMode.observe and decision.rule == policy.strategy):
            return []  # an observed queue is distributed by the PBX; callfunnel only routes the sticky step
        offers = [
            offer
            for operator_id in decision.operator_ids
            if (offer := _offer(session, entry, queue, operator_id, extensions.get(operator_id), decision.rule, now))
        ]
        if offers:
            entry.status = EntryStatus.offering
            if decision.rule == Strategy.round_robin:
                _advance_rotation(session=session, queue=queue, operator_id=offers[-1].operator_id)
            if queue.mode != QueueMode.sync:
                offers = _route_by_command(session=session, entry=entry, queue=queue, offers=offers, now=now)
            return offers
        lost = set(decision.operator_ids)
        members = [m if m.operator_id not in lost else candidates.busy(m) for m in members]
        if sticky is not None and sticky.operator_id in lost:
            call = WaitingCall(waited_seconds=call.waited_seconds, sticky=None, tried=call.tried)
    return []


def accept(*, session: Session, offer_id: int, user: User, now: datetime) -> Offer:
    """The operator takes the call offered to them (panel or REST); 409 when it is gone."""
    offer, entry = _locked_offer(session=session, offer_id=offer_id, user=user)
    if offer.status != OfferStatus.ringing:
        raise Conflict(f"offer {offer.id} is {offer.status}" + (f" ({offer.end_reason})" if offer.end_reason else ""))
    if not take(session=session, entry=entry, operator_id=offer.operator_id, rule=offer.rule, now=now, by="operator"):
        raise Conflict(f"call {offer.call_id} was taken by another operator")
    return offer


def reject(*, session: Session, offer_id: int, user: User, now: datetime) -> Offer:
    """The operator declines: the call goes to the next candidate at once."""
    offer, _ = _locked_offer(session=session, offer_id=offer_id, user=user)
    if offer.status != OfferStatus.ringing:
        raise Conflict(f"offer {offer.id} is {offer.status}")
    end_offer(session=session, offer=offer, status=OfferStatus.rejected, reason="rejected", now=now)
    return offer


def take(*, session: Session, entry: QueueEntry, operator_id: int, rule: str | None, now: datetime, by: str) -> bool:
    """Gives the call to the operator, if nobody has it yet; the others' offers are revoked."""
    won = (
        session.execute(
            update(QueueEntry)
            .where(QueueEntry.id == entry.id, QueueEntry.status.in_(LIVE_ENTRY))
            .values(
                status=EntryStatus.connected,
                operator_id=operator_id,
                rule=rule,
                left_at=now,
                wait_seconds=whole_seconds(entry.entered_at, now),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    session.refresh(entry)
    if not won:
        return False
    for offer in ringing_offers(session=session, entry_id=entry.id):
        if offer.operator_id == operator_id:
            offer.status, offer.ended_at = OfferStatus.accepted, max(now, offer.created_at)
            _count_ended(session, OfferStatus.accepted)
        else:
            _close(session, offer, OfferStatus.revoked, "taken_by_other", now)
    operator_state.start_call(session=session, operator_id=operator_id, call_id=entry.call_id, now=now)
    session.execute(update(Call).where(Call.id == entry.call_id).values(route_rule=rule))
    timeline.note(session, call_id=entry.call_id, at=now, kind="taken", operator_id=operator_id, rule=rule, by=by)
    return True


def end_offer(*, session: Session, offer: Offer, status: OfferStatus, reason: str, now: datetime) -> None:
    """An offer rang out or was declined: the operator is free (or on break), the call tries the next one."""
    entry = lock_entry(session=session, entry_id=offer.entry_id)
    session.refresh(offer, with_for_update=ROW_LOCK)
    if offer.status != OfferStatus.ringing:
        return
    queue = session.get(Queue, entry.queue_id)
    no_answer = status == OfferStatus.no_answer
    new_state = _close(session, offer, status, reason, now, no_answer=no_answer, max_no_answers=queue.max_no_answers)
    if new_state == OperatorState.break_:
        timeline.note(session, call_id=offer.call_id, at=now, kind="operator_on_break", operator_id=offer.operator_id)
    entry.tried = sorted({*entry.tried, offer.operator_id})
    if entry.status == EntryStatus.offering and not ringing_offers(session=session, entry_id=entry.id):
        entry.status = EntryStatus.waiting
        if not entry.handed_to_pbx:  # (a sync PBX hears of the new offer when it asks again)
            dispatch(session=session, entry=entry, queue=queue, now=now)


def lock_entry(*, session: Session, entry_id: int, skip_locked: bool = False) -> QueueEntry | None:
    """The queue entry, locked after its call: calls are locked before their entries (as a batch of
    webhooks takes them), entries before their offers, offers before operators, so concurrent
    accepts, expiries and webhooks cannot deadlock.  None: no such entry, or (``skip_locked``)
    another transaction holds it or its call."""
    call_id = select(QueueEntry.call_id).where(QueueEntry.id == entry_id).scalar_subquery()
    call = select(Call.id).where(Call.id == call_id).with_for_update(skip_locked=skip_locked, **ROW_LOCK)
    if session.execute(call).first() is None:
        return None
    query = select(QueueEntry).where(QueueEntry.id == entry_id).with_for_update(skip_locked=skip_locked, **ROW_LOCK)
    return session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()


def keep_ringable(
    *, session: Session, offers: list[Offer], queue: Queue, max_targets: int, now: datetime
) -> list[Offer]:
    """The offers a PBX that rings ``max_targets`` extensions at once can carry: all of them when
    the queue names a PBX group (which rings them), else the first ones; the rest are withdrawn."""
    if len(offers) <= max_targets or queue.pbx_group:
        return offers
    for extra in offers[max_targets:]:
        revoke(session=session, offer=extra, reason="pbx_rings_one_extension", now=now)
    return offers[:max_targets]


def hand_to_pbx(*, session: Session, offer_id: int, reason: str, now: datetime) -> None:
    """A command to ring the operator failed or was not allowed: the offer ends, and the call is
    left to the PBX's own distribution (callfunnel stops offering it)."""
    offer = session.get(Offer, offer_id)
    if offer is None or offer.status != OfferStatus.ringing:
        return
    lock_entry(session=session, entry_id=offer.entry_id).handed_to_pbx = True
    end_offer(session=session, offer=offer, status=OfferStatus.revoked, reason=reason, now=now)


def revoke(*, session: Session, offer: Offer, reason: str, now: datetime) -> None:
    """Withdraws a ringing offer; its operator is free again (it does not count as their no-answer)."""
    _close(session, offer, OfferStatus.revoked, reason, now)


def revoke_all(*, session: Session, entry: QueueEntry, reason: str, now: datetime) -> None:
    for offer in ringing_offers(session=session, entry_id=entry.id):
        revoke(session=session, offer=offer, reason=reason, now=now)


def expire_offers(*, session: Session, now: datetime, limit: int = 200) -> int:
    """Offers past their expiry ring out (no answer); returns how many."""
    due = session.execute(
        select(Offer.id, Offer.entry_id)
        .where(Offer.status == OfferStatus.ringing, Offer.expires_at <= now)
        .order_by(Offer.expires_at)
        .limit(limit)
    ).all()
    count = 0
    for offer_id, entry_id in due:
        if lock_entry(session=session, entry_id=entry_id, skip_locked=True) is None:
            continue  # another process is on this call
        offer = session.get(Offer, offer_id, with_for_update=ROW_LOCK, populate_existing=True)
        if offer.status == OfferStatus.ringing:
            end_offer(session=session, offer=offer, status=OfferStatus.no_answer, reason="expired", now=now)
            count += 1
    return count


def _advance_rotation(*, session: Session, queue: Queue, operator_id: int) -> None:
    """Moves the round-robin pointer, unless another transaction is moving it right now.

    The pointer is advisory (a lost update skews the rotation by one offer), so it is never worth
    waiting for: a transaction holding the queue row while it claims operators would otherwise
    deadlock with one that claimed an operator first and wants the row next.
    """
    session.execute(_ADVANCE_ROTATION, {"queue_id": queue.id, "operator_id": operator_id})
    set_committed_value(queue, "last_offered_id", operator_id)  # seen by later offers in this transaction


_QUEUE = Queue.__table__
_ADVANCE_ROTATION = (  # (built once: every round-robin offer moves it)
    update(_QUEUE)
    .where(
        _QUEUE.c.id.in_(
            select(_QUEUE.c.id)
            .where(_QUEUE.c.id == bindparam("queue_id"))
            .with_for_update(skip_locked=True, **ROW_LOCK)
            .scalar_subquery()
        )
    )
    .values(last_offered_id=bindparam("operator_id"))
)


def _route_by_command(*, session: Session, entry: QueueEntry, queue: Queue, offers: list[Offer], now) -> list[Offer]:
    """Command mode: a ``route`` command (sent after commit) moves the call to the operator's phone."""
    offers = keep_ringable(session=session, offers=offers, queue=queue, max_targets=1, now=now)
    target = queue.pbx_group if len(offers) > 1 else offers[0].extension
    vendor = session.execute(select(Call.vendor).where(Call.id == entry.call_id)).scalar_one()
    commands_service.request(
        session=session,
        vendor=vendor,
        kind="route",
        target=target or "",
        now=now,
        call_id=entry.call_id,
        offer_id=offers[0].id,
    )
    return offers


def _offer(
    session: Session, entry: QueueEntry, queue: Queue, operator_id: int, extension: str | None, rule: str, now
) -> Offer | None:
    if not operator_state.claim(session=session, operator_id=operator_id, call_id=entry.call_id, now=now):
        return None
    # The ring starts now, not when this dispatch began: a busy transaction may have read ``now``
    # before the operator's last ring or call ended, and the offer must not seem to overlap it.
    # The clock read after the claim is later than the commit that freed the operator.
    now = max(now, utcnow())
    expires = now + timedelta(seconds=queue.ring_timeout_seconds)
    if rule == entry.sticky_rule and entry.sticky_until is not None:
        expires = min(expires, max(entry.sticky_until, now + timedelta(seconds=1)))
    offer = Offer(
        entry_id=entry.id,
        call_id=entry.call_id,
        operator_id=operator_id,
        extension=extension,
        rule=rule,
        created_at=now,
        expires_at=expires,
    )
    session.add(offer)
    session.flush()
    operator_state.attach_offer(session=session, operator_id=operator_id, offer_id=offer.id, now=now)
    timeline.note(
        session,
        call_id=entry.call_id,
        at=now,
        kind="offered",
        operator_id=operator_id,
        rule=rule,
        offer_id=offer.id,
        expires_at=expires.isoformat(),
    )
    log.info("call %s offered to operator %s (%s, offer %s)", entry.call_id, operator_id, rule, offer.id)
    payload = {
        "offer_id": offer.id,
        "call_id": entry.call_id,
        "queue": {"id": queue.id, "name": queue.name},
        "entered_at": entry.entered_at.isoformat(),
        "expires_at": expires.isoformat(),
        "rule": rule,
    }
    outbox.publish(session, "offer", payload, operator_id=operator_id)
    return offer


def _close(session: Session, offer: Offer, status: OfferStatus, reason: str, now: datetime, **release):
    now = max(now, offer.created_at)  # a transaction's ``now`` may predate an offer it finds made since
    offer.status, offer.end_reason, offer.ended_at = status, reason, now
    _count_ended(session, status)
    session.flush()
    timeline.note(
        session,
        call_id=offer.call_id,
        at=now,
        kind="offer_ended",
        operator_id=offer.operator_id,
        offer_id=offer.id,
        status=status.value,
        reason=reason,
    )
    if status in (OfferStatus.revoked, OfferStatus.no_answer):
        payload = {"offer_id": offer.id, "call_id": offer.call_id, "status": status.value, "reason": reason}
        outbox.publish(session, "offer_revoked", payload, operator_id=offer.operator_id)
    return operator_state.release(
        session=session, operator_id=offer.operator_id, call_id=offer.call_id, offer_id=offer.id, now=now, **release
    )


# The metric's names for how offers end: one that rang out "expired", whoever ended its ringing.
_RESULTS = {OfferStatus.no_answer: "expired"}


def _count_ended(session: Session, status: OfferStatus) -> None:
    instruments.count(session, instruments.OFFERS, _RESULTS.get(status, status.value))


def ringing_offers(*, session: Session, entry_id: int) -> list[Offer]:
    """The call's offers still ringing, oldest first, locked (after their entry: the lock order)."""
    return list(session.execute(_RINGING, {"entry_id": entry_id}).scalars())


_RINGING = (  # (built once: see app/database.py)
    select(Offer)
    .where(Offer.entry_id == bindparam("entry_id"), Offer.status == OfferStatus.ringing)
    .order_by(Offer.id)
    .with_for_update(**ROW_LOCK)
)


def _locked_offer(*, session: Session, offer_id: int, user: User) -> tuple[Offer, QueueEntry]:
    row = session.execute(select(Offer.entry_id, Offer.operator_id).where(Offer.id == offer_id)).first()
    if row is None:
        raise NotFound(f"no offer {offer_id}")
    if row.operator_id != user.id:
        raise Forbidden(f"offer {offer_id} was made to another operator")
    entry = lock_entry(session=session, entry_id=row.entry_id)
    return session.get(Offer, offer_id, with_for_update=ROW_LOCK, populate_existing=True), entry
