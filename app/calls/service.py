"""Calls: applying normalized PBX events, finalizing what the PBX never finished, reading them back."""

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User
from app.callbacks import tracking as callback_tracking
from app.calls import lifecycle
from app.calls.models import Call, CallLeg, CallState, CallTransition, Outcome
from app.contacts import service as contacts_service
from app.contacts.phone import to_e164
from app.database import insert_ignoring_duplicates, utcnow
from schemas.pbx_events import CallEvent, Direction

log = logging.getLogger(__name__)


class CallPolicy:
    """The settings that shape how calls are recorded."""

    def __init__(self, *, region: str, callback_sla: timedelta) -> None:
        self.region = region
        self.callback_sla = callback_sla


async def apply_events(*, session: AsyncSession, vendor: str, events: Sequence[CallEvent], policy: CallPolicy) -> list[Call]:
    """Applies events (in the order given) to their calls, creating calls on first sight; returns the calls touched."""
    if not events:
        return []
    now = utcnow()
    calls = await _lock_calls(session=session, vendor=vendor, events=events, now=now)
    legs = await _load_legs(session=session, calls=calls.values())
    previous = {key: (call.outcome, call.number) for key, call in calls.items()}
    for event in events:
        call = calls[event.call_key]
        call_legs = legs[call.id]
        known = set(call_legs)
        transitions = lifecycle.apply(call, call_legs, event)
        session.add_all(leg for key, leg in call_legs.items() if key not in known)
        _record(session=session, call=call, transitions=transitions, now=now)
        call.last_event_at = now
    for key, call in calls.items():
        await _settle(session=session, call=call, previous=previous[key], policy=policy, now=now)
    return list(calls.values())


async def finalize_stale(*, session: AsyncSession, policy: CallPolicy, now: datetime, legs_ended_for: timedelta,
                         silent_for: timedelta, limit: int = 100) -> list[Call]:
    """Finalizes calls the PBX never finished: all legs over for a while, or silent for long."""
    query = (
        select(Call)
        .where(Call.outcome.is_(None))
        .where(or_(Call.last_event_at < now - silent_for,
                   (Call.state == CallState.ended) & (Call.last_event_at < now - legs_ended_for)))
        .order_by(Call.last_event_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    calls = list((await session.execute(query)).scalars())
    legs = await _load_legs(session=session, calls=calls)
    for call in calls:
        transitions = lifecycle.finalize_without_pbx(call, legs[call.id], now=now)
        _record(session=session, call=call, transitions=transitions, now=now)
        log.warning("call %s (%s %s) finalized by the sweep: %s", call.id, call.vendor, call.external_id, call.outcome)
        await _settle(session=session, call=call, previous=(None, call.number), policy=policy, now=now)
    return calls


async def get(*, session: AsyncSession, call_id: int) -> Call | None:
    """The call with this id."""
    return await session.get(Call, call_id)


async def timeline(*, session: AsyncSession, call_id: int) -> list[CallTransition]:
    """The call's transitions, oldest first."""
    query = select(CallTransition).where(CallTransition.call_id == call_id).order_by(CallTransition.at, CallTransition.id)
    return list((await session.execute(query)).scalars())


async def legs_of(*, session: AsyncSession, call_id: int) -> list[CallLeg]:
    """The call's legs in the order they appeared."""
    query = select(CallLeg).where(CallLeg.call_id == call_id).order_by(CallLeg.appeared_at, CallLeg.id)
    return list((await session.execute(query)).scalars())


async def _settle(*, session: AsyncSession, call: Call, previous: tuple[Outcome | None, str | None], policy: CallPolicy,
                  now: datetime) -> None:
    """Links the contact and operator, and updates the callback list when the outcome or the number changed."""
    if call.number is None and call.number_raw and call.direction != Direction.internal:
        call.number = to_e164(call.number_raw, region=policy.region)
    if call.number and call.contact_id is None:
        contact = await contacts_service.find_or_create(session=session, phone=call.number, phone_raw=call.number_raw)
        call.contact_id = contact.id
    if call.operator_extension and call.operator_id is None:
        query = select(User.id).where(User.extension == call.operator_extension)
        call.operator_id = (await session.execute(query)).scalar_one_or_none()
    await session.flush()
    if call.outcome is not None:
        previous_outcome, previous_number = previous
        await callback_tracking.register_outcome(session=session, call=call, previous=previous_outcome,
                                                 renumbered=call.number != previous_number,
                                                 sla=policy.callback_sla, now=now)


async def _lock_calls(*, session: AsyncSession, vendor: str, events: Sequence[CallEvent], now: datetime) -> dict[str, Call]:
    first_seen: dict[str, datetime] = {}
    for event in events:
        first_seen[event.call_key] = min(first_seen.get(event.call_key, event.occurred_at), event.occurred_at)
    insert = insert_ignoring_duplicates(session, Call.__table__, index_elements=["vendor", "external_id"])
    for key, started_at in first_seen.items():
        await session.execute(insert.values(
            vendor=vendor, external_id=key, direction=Direction.inbound.value, state=CallState.new.value,
            started_at=started_at, final_received=False, last_event_at=now, created_at=now,
        ))
    query = (
        select(Call)
        .where(Call.vendor == vendor, Call.external_id.in_(first_seen))
        .order_by(Call.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {call.external_id: call for call in (await session.execute(query)).scalars()}


async def _load_legs(*, session: AsyncSession, calls) -> dict[int, dict[str, CallLeg]]:
    legs: dict[int, dict[str, CallLeg]] = defaultdict(dict)
    ids = [call.id for call in calls]
    if ids:
        for leg in (await session.execute(select(CallLeg).where(CallLeg.call_id.in_(ids)))).scalars():
            legs[leg.call_id][leg.external_id] = leg
    return legs


def _record(*, session: AsyncSession, call: Call, transitions: list[lifecycle.Transition], now: datetime) -> None:
    session.add_all(
        CallTransition(call_id=call.id, at=t.at, recorded_at=now, kind=t.kind, detail=t.detail) for t in transitions
    )
    for t in transitions:
        if t.kind in ("finalized", "outcome_corrected"):
            log.info("call %s (%s) %s: %s", call.id, call.external_id, t.kind, t.detail)
