"""Keeping queues, offers and operator states in step with what the PBX reports.

Runs after every batch of call events.  Each operator leg remembers the last step it drove
(``dispatch_step``), so an event seen twice, or a leg whose end arrives before its answer,
moves the operator exactly once and in the right order.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.calls import timeline
from app.calls.legs import Leg
from app.calls.models import Call, CallState, Outcome
from app.database import ROW_LOCK
from app.dispatch import offers as dispatch_offers
from app.dispatch import queueing
from app.dispatch.models import LIVE_ENTRY, Offer, OfferStatus, QueueEntry
from app.events import outbox
from app.operators import state as operator_state
from app.operators.models import Operator, OperatorState
from app.queues.kept import kept_queue
from app.queues.models import Queue
from schemas.pbx_events import Direction, EndReason, LegKind, LegState

log = logging.getLogger(__name__)

_DECLINED = {EndReason.busy.value, EndReason.rejected.value}
_RANK = {"ringing": 0, "talking": 1, "held": 1, "ended": 2, "missed": 2}  # held <-> talking both ways
_OWN_CALL_KINDS = (LegKind.external, LegKind.initiator)  # legs where the operator is the one calling


def follow(
    *, session: Session, calls: Iterable[Call], legs: dict[int, dict[str, Leg]], region: str, now: datetime
) -> None:
    calls = list(calls)
    queued = [call.id for call in calls if call.queue_id is not None]  # (``queueing.enter`` sets both)
    entries = (
        {entry.call_id: entry for entry in session.execute(_ENTRIES, {"call_ids": queued}).scalars()} if queued else {}
    )
    operators = _operators_by_extension(session=session, legs=[leg for call in calls for leg in legs[call.id].values()])
    held = _calls_held_by_operators(session=session, calls=[call.id for call in calls if call.outcome is not None])
    for call in calls:
        entry = entries.get(call.id)
        call_legs = legs[call.id].values()
        queue = _queue_to_join(session=session, call=call, region=region) if entry is None else None
        if entry is None and queue is None and call.id not in held:
            if not any(leg.extension in operators for leg in call_legs):
                continue  # nothing to distribute nor to release (and no savepoint to pay for)
        steps = [(leg, leg.dispatch_step) for leg in call_legs]
        try:
            # A distribution bug must not cost the call its record: the events stay applied.
            with outbox.savepoint(session):
                _follow_call(
                    session=session,
                    call=call,
                    legs=call_legs,
                    entry=entry,
                    queue=queue,
                    operators=operators,
                    now=now,
                )
        except Exception:
            for leg, step in steps:  # the legs are plain rows: the savepoint's rollback does not reach them
                leg.dispatch_step = step
            log.exception(
                "call %s (%s): distribution failed; the call is recorded without it", call.id, call.external_id
            )


def _follow_call(
    *,
    session: Session,
    call: Call,
    legs,
    entry: QueueEntry | None,
    queue: Queue | None,
    operators: dict[str, int],
    now: datetime,
) -> None:
    if queue is not None:  # (a call with no entry yet, on a queue's line)
        entry = queueing.enter(session=session, call=call, queue=queue, now=now)
    for leg in legs:
        if leg.extension not in operators:
            continue
        if leg.kind == LegKind.operator:
            _follow_leg(session=session, call=call, leg=leg, entry=entry, operator_id=operators[leg.extension], now=now)
        elif leg.kind in _OWN_CALL_KINDS:
            _follow_own_call(session=session, call=call, leg=leg, operator_id=operators[leg.extension], now=now)
    # Over when the PBX (or the sweep) says so: every leg ended is not enough, MANGO ends the IVR
    # leg before the queue's or the routed operator's leg appears.
    if call.outcome is not None:
        _call_over(session=session, call=call, entry=entry, now=now)
    if (reason := queueing.missed_reason(call, entry)) is not None:
        call.end_reason = reason


def _queue_to_join(*, session: Session, call: Call, region: str) -> Queue | None:
    """The queue of the line a new inbound call rang, if it has one and the call has not joined it yet."""
    if not _joins_queue(call):
        return None
    queue_id = queueing.queue_for(call.line_number, queueing.queue_ids_by_line(session=session), region=region)
    return kept_queue(session=session, queue_id=queue_id) if queue_id is not None else None


def _joins_queue(call: Call) -> bool:
    return (
        call.direction == Direction.inbound
        and call.queue_id is None
        and call.outcome is None
        and call.state not in (CallState.new, CallState.ended)
    )


def _follow_leg(
    *, session: Session, call: Call, leg: Leg, entry: QueueEntry | None, operator_id: int, now: datetime
) -> None:
    if leg.state == LegState.disconnected:
        target = "ended" if leg.connected_at else "missed"
    elif leg.connected_at:
        target = "held" if leg.state == LegState.on_hold else "talking"
    else:
        target = "ringing"
    done = leg.dispatch_step
    if done == target or (done is not None and _RANK[done] > _RANK[target]):
        return
    offer = _offer_for(session=session, call=call, leg=leg, operator_id=operator_id, ringing=target == "ringing")
    if target == "ringing":
        if offer is None and not operator_state.claim(
            session=session, operator_id=operator_id, call_id=call.id, now=now
        ):
            _flag_if_busy(session=session, call=call, operator_id=operator_id, now=now)
    elif target in ("talking", "held", "ended"):
        if done not in ("talking", "held"):
            _answered(session=session, call=call, entry=entry, offer=offer, operator_id=operator_id, now=now)
        if target == "ended":
            operator_state.end_call(session=session, operator_id=operator_id, call_id=call.id, now=now)
        elif done in ("talking", "held"):  # on hold, or back from it
            operator_state.announce_call(session, operator_id, call.id, target)
    elif offer is not None and offer.status == OfferStatus.ringing:
        status = OfferStatus.rejected if leg.end_reason in _DECLINED else OfferStatus.no_answer
        dispatch_offers.end_offer(
            session=session, offer=offer, status=status, reason=leg.end_reason or "no_answer", now=now
        )
    else:
        operator_state.release(session=session, operator_id=operator_id, call_id=call.id, now=now)
    leg.dispatch_step = target


def _follow_own_call(*, session: Session, call: Call, leg: Leg, operator_id: int, now: datetime) -> None:
    """An operator dialling out (or rung first by click-to-call) is busy until that call ends."""
    target = "ended" if leg.state == LegState.disconnected else "talking"
    if leg.dispatch_step == target or leg.dispatch_step == "ended":
        return
    if leg.dispatch_step is None:
        operator_state.start_call(session=session, operator_id=operator_id, call_id=call.id, now=now)
    if target == "ended":
        operator_state.end_call(session=session, operator_id=operator_id, call_id=call.id, now=now)
    leg.dispatch_step = target


def _answered(
    *, session: Session, call: Call, entry: QueueEntry | None, offer: Offer | None, operator_id: int, now: datetime
) -> None:
    """The PBX connected the operator: that settles the call, whatever the panels said."""
    if entry is not None and entry.status in LIVE_ENTRY:
        rule = offer.rule if offer is not None else "pbx"
        if dispatch_offers.take(session=session, entry=entry, operator_id=operator_id, rule=rule, now=now, by="pbx"):
            return
    if not operator_state.start_call(session=session, operator_id=operator_id, call_id=call.id, now=now):
        _flag_if_busy(session=session, call=call, operator_id=operator_id, now=now)


def _call_over(*, session: Session, call: Call, entry: QueueEntry | None, now: datetime) -> None:
    """The call ended: it leaves its queue, and nobody stays ringing or talking on it."""
    if entry is not None and entry.status in LIVE_ENTRY:
        hung_up = call.outcome == Outcome.abandoned or call.end_reason == EndReason.caller_hung_up
        queueing.leave(session=session, entry=entry, reason="caller_hung_up" if hung_up else "ended", now=now)
    for operator_id, state in session.execute(_OPERATORS_ON_CALL, {"call_id": call.id}).all():
        if state == OperatorState.on_call:
            operator_state.end_call(session=session, operator_id=operator_id, call_id=call.id, now=now)
        else:
            operator_state.release(session=session, operator_id=operator_id, call_id=call.id, now=now)


def _offer_for(*, session: Session, call: Call, leg: Leg, operator_id: int, ringing: bool) -> Offer | None:
    """The offer this leg rings (or rang) for: bound to it already, or — when the phone starts ringing —
    the operator's unbound ringing offer for the call, which is bound to it now.  A phone rung again on
    the same call takes its newer offer; the end of an earlier ring stays with the earlier offer."""
    offers = session.execute(
        select(Offer).where(Offer.call_id == call.id, Offer.operator_id == operator_id).order_by(Offer.id.desc())
    ).scalars()
    bound = unbound = None
    for offer in offers:
        if offer.leg_key == leg.external_id and bound is None:
            bound = offer
        elif offer.leg_key is None and offer.status == OfferStatus.ringing and unbound is None:
            unbound = offer
    if bound is not None and (bound.status == OfferStatus.ringing or not ringing or unbound is None):
        return bound
    if unbound is not None:
        unbound.leg_key = leg.external_id
    return unbound


def _flag_if_busy(*, session: Session, call: Call, operator_id: int, now: datetime) -> None:
    """The PBX rang or connected an operator callfunnel holds busy: recorded, not prevented."""
    state, busy_with = session.execute(
        select(Operator.state, Operator.call_id).where(Operator.user_id == operator_id)
    ).one()
    if busy_with not in (None, call.id) or state in (OperatorState.break_, OperatorState.wrap_up):
        timeline.note(
            session,
            call_id=call.id,
            at=now,
            kind="operator_double_booked",
            operator_id=operator_id,
            operator_state=state,
            busy_with_call_id=busy_with,
        )
        log.warning("call %s: the PBX rang operator %s, who is %s (call %s)", call.id, operator_id, state, busy_with)


def _calls_held_by_operators(*, session: Session, calls: list[int]) -> set[int]:
    """Which of these ended calls an operator is still ringing or talking on (one query for the
    batch: most ended calls need nothing released, and their ``_call_over`` asks again for those that do)."""
    return set(session.execute(_CALLS_HELD, {"call_ids": calls}).scalars()) if calls else set()


def _operators_by_extension(*, session: Session, legs: list[Leg]) -> dict[str, int]:
    extensions = {leg.extension for leg in legs if leg.extension}
    if not extensions:
        return {}
    return dict(session.execute(_OPERATORS_BY_EXTENSION, {"extensions": list(extensions)}).all())


# Built once: every batch and every routing decision asks them (see app/database.py).
_ENTRIES = (
    select(QueueEntry).where(QueueEntry.call_id.in_(bindparam("call_ids", expanding=True))).with_for_update(**ROW_LOCK)
)
_USER, _OPERATOR = User.__table__, Operator.__table__
_OPERATORS_ON_CALL = select(_OPERATOR.c.user_id, _OPERATOR.c.state).where(_OPERATOR.c.call_id == bindparam("call_id"))
_CALLS_HELD = select(_OPERATOR.c.call_id).where(_OPERATOR.c.call_id.in_(bindparam("call_ids", expanding=True)))
_OPERATORS_BY_EXTENSION = (
    select(_USER.c.extension, _USER.c.id)
    .join(_OPERATOR, _OPERATOR.c.user_id == _USER.c.id)
    .where(_USER.c.extension.in_(bindparam("extensions", expanding=True)))
)
