"""A call's events across the domains: its state, its recordings, its contact and operator, its
queue entry and offers (``dispatch.follow``), its callback and its deal's touch; and finalizing
what the PBX never finished.

The write path: synchronous units of work for ``Database.run`` (see app.database).
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session

from app import instruments
from app.auth.models import User
from app.callbacks import tracking as callback_tracking
from app.calls import lifecycle, timeline
from app.calls.legs import LegRows
from app.calls.models import Call, CallState, Outcome
from app.contacts import service as contacts_service
from app.contacts.phone import to_e164
from app.crm import deals, touches
from app.database import ROW_LOCK, insert_ignoring_duplicates, utcnow
from app.dispatch import follow as dispatch_follow
from app.lists import dialling as list_dialling
from app.queues.models import Queue
from app.recordings import tracking as recordings_tracking
from app.settings import Settings
from schemas.pbx_events import CallEvent, Direction
from telephony import registry

log = logging.getLogger(__name__)

JOIN_WITHIN = timedelta(seconds=5)  # how far apart two feeds may date one call's start


class CallPolicy:
    """The settings that shape how calls are recorded."""

    def __init__(
        self,
        *,
        region: str,
        callback_sla: timedelta,
        timezone: str = "UTC",
        callback_max_attempts: int = 0,
        dial_confirm: timedelta = timedelta(seconds=60),
    ) -> None:
        self.region = region
        self.callback_sla = callback_sla
        self.timezone = timezone  # of PBX clocks that send local time without an offset (Zadarma)
        self.callback_max_attempts = callback_max_attempts
        self.dial_confirm = dial_confirm  # a call list's dial: how soon the PBX's call must come

    @classmethod
    def from_settings(cls, settings: Settings) -> "CallPolicy":
        return cls(
            region=settings.default_region,
            callback_sla=timedelta(minutes=settings.callback_sla_minutes),
            timezone=settings.timezone,
            callback_max_attempts=settings.callback_max_attempts,
            dial_confirm=timedelta(seconds=settings.dial_confirm_seconds),
        )


def apply_events(*, session: Session, vendor: str, events: Sequence[CallEvent], policy: CallPolicy) -> list[Call]:
    """Applies events (in the order given) to their calls, creating calls on first sight; returns the calls touched."""
    if not events:
        return []
    now = utcnow()
    calls, created = _lock_calls(session=session, vendor=vendor, events=events, now=now, region=policy.region)
    touched = list({call.id: call for call in calls.values()}.values())  # one call may go by two keys
    leg_rows = LegRows.load(session, [call.id for call in touched if call.id not in created])
    legs = leg_rows.by_call
    previous = {call.id: (call.outcome, call.number) for call in touched}
    timeline: list[dict] = []
    for event in events:
        call = calls[event.call_key]
        transitions = lifecycle.apply(call, legs[call.id], event)
        timeline += _timeline_rows(call=call, transitions=transitions, now=now)
        call.last_event_at = now
    with session.no_autoflush:  # the calls are written once, with their people: each UPDATE fires the rollup triggers
        _link_people(session=session, calls=touched, region=policy.region)
    _record(session=session, rows=timeline)
    recordings_tracking.note(session=session, vendor=vendor, calls=calls, events=events, now=now)
    list_dialling.link_calls(session=session, calls=touched, legs=legs, confirm_within=policy.dial_confirm)
    dispatch_follow.follow(session=session, calls=touched, legs=legs, region=policy.region, now=now)
    _follow_outcomes(session=session, calls=touched, previous=previous, policy=policy, now=now)
    leg_rows.save(session)
    return touched


def finalize_stale(
    *,
    session: Session,
    policy: CallPolicy,
    now: datetime,
    legs_ended_for: timedelta,
    silent_for: timedelta,
    limit: int = 100,
) -> list[Call]:
    """Finalizes calls the PBX never finished: all legs over for a while, or silent for long.

    A call known only from a recording or DTMF notice (state ``new``: no leg, no summary) is left
    alone: there is nothing to judge it by, and its legs may still come.
    """
    query = (
        select(Call)
        .where(Call.outcome.is_(None), Call.state != CallState.new)
        .where(
            or_(
                Call.last_event_at < now - silent_for,
                (Call.state == CallState.ended) & (Call.last_event_at < now - legs_ended_for),
            )
        )
        .order_by(Call.last_event_at)
        .limit(limit)
        .with_for_update(skip_locked=True, **ROW_LOCK)
    )
    calls = list(session.execute(query).scalars())
    leg_rows = LegRows.load(session, [call.id for call in calls])
    legs = leg_rows.by_call
    for call in calls:
        transitions = lifecycle.finalize_without_pbx(call, legs[call.id], now=now)
        _record(session=session, rows=_timeline_rows(call=call, transitions=transitions, now=now))
        log.warning("call %s (%s %s) finalized by the sweep: %s", call.id, call.vendor, call.external_id, call.outcome)
    dispatch_follow.follow(session=session, calls=calls, legs=legs, region=policy.region, now=now)
    previous = {call.id: (None, call.number) for call in calls}
    _follow_outcomes(session=session, calls=calls, previous=previous, policy=policy, now=now)
    leg_rows.save(session)
    return calls


def _link_people(*, session: Session, calls, region: str) -> None:
    """Links each call to its contact (created for a new number) and to the operator who answered.

    Runs for every batch, so it asks the database only about calls that still lack a link,
    with one query per kind for the whole batch.
    """
    for call in calls:
        if call.number is None and call.number_raw and call.direction != Direction.internal:
            call.number = to_e164(call.number_raw, region=region)
    unlinked = {call.number: call.number_raw for call in calls if call.number and call.contact_id is None}
    if unlinked:
        contacts, created = contacts_service.find_or_create_many(session=session, numbers=unlinked)
        for call in calls:
            if call.number in contacts and call.contact_id is None:
                call.contact_id = contacts[call.number]
        deals.snapshot_stage(session=session, calls=calls, new_contacts=created)
    extensions = {call.operator_extension for call in calls if call.operator_extension and call.operator_id is None}
    if extensions:
        users = dict(session.execute(select(User.extension, User.id).where(User.extension.in_(extensions))).all())
        for call in calls:
            if call.operator_id is None and call.operator_extension in users:
                call.operator_id = users[call.operator_extension]


def _follow_outcomes(
    *,
    session: Session,
    calls: list[Call],
    previous: dict[int, tuple[Outcome | None, str | None]],
    policy: CallPolicy,
    now: datetime,
) -> None:
    """The callback list and the clients' touches follow the calls (``previous``: each one's outcome
    and number before the batch); the new touches are written together."""
    new_touches: list[dict] = []
    for call in calls:
        _follow_outcome(
            session=session, call=call, previous=previous[call.id], policy=policy, now=now, new_touches=new_touches
        )
    touches.write_calls(session, new_touches)


def _follow_outcome(
    *,
    session: Session,
    call: Call,
    previous: tuple[Outcome | None, str | None],
    policy: CallPolicy,
    now: datetime,
    new_touches: list[dict],
) -> None:
    """The callback list and the client's touches follow a call whose outcome, or client number,
    changed (its new touch joins ``new_touches``)."""
    previous_outcome, previous_number = previous
    if call.outcome is not None and (call.outcome != previous_outcome or call.number != previous_number):
        session.flush()
        callback_tracking.register_outcome(
            session=session,
            call=call,
            previous=previous_outcome,
            renumbered=call.number != previous_number,
            sla=policy.callback_sla,
            now=now,
            max_attempts=policy.callback_max_attempts,
        )
        if call.outcome == Outcome.answered and call.queue_id is not None:
            pipeline_id = session.execute(select(Queue.deal_pipeline_id).where(Queue.id == call.queue_id)).scalar()
            deals.start_for_new_client(session=session, call=call, pipeline_id=pipeline_id, now=now)
        touches.record_call(session=session, call=call, outcome_before=previous_outcome, batch=new_touches)


def _lock_calls(
    *, session: Session, vendor: str, events: Sequence[CallEvent], now: datetime, region: str
) -> tuple[dict[str, Call], set[int]]:
    """The batch's calls, locked, and the ids of those created now: the ones seen for the first time
    (safely against a racing process, whose call is read instead)."""
    first_seen: dict[str, datetime] = {}
    for event in events:
        at = getattr(event, "started_at", None) or event.occurred_at  # a final event knows when the call began
        first_seen[event.call_key] = min(first_seen.get(event.call_key, at), at)
    joins = registry.kind_of(vendor).joins_calls_by_caller
    calls = _select_calls(session=session, vendor=vendor, keys=list(first_seen), joins=joins)
    missing = [key for key in first_seen if key not in calls]
    if missing and joins:
        calls.update(_join_by_caller(session=session, vendor=vendor, events=events, keys=missing, region=region))
        missing = [key for key in missing if key not in calls]
    created: set[int] = set()
    if missing:
        insert = insert_ignoring_duplicates(
            session, Call.__table__, index_elements=["vendor", "external_id"], returning=("id",)
        )
        created = set(
            session.execute(
                insert,
                [
                    {
                        "vendor": vendor,
                        "external_id": key,
                        "direction": Direction.inbound.value,
                        "state": CallState.new.value,
                        "started_at": first_seen[key],
                        "final_received": False,
                        "last_event_at": now,
                        "created_at": now,
                    }
                    for key in sorted(missing)  # (one order of unique-key waits between racing processes)
                ],
            ).scalars()
        )
        calls.update(_select_calls(session=session, vendor=vendor, keys=missing, joins=joins))
    return calls, created


def _select_calls(*, session: Session, vendor: str, keys: list[str], joins: bool) -> dict[str, Call]:
    """The calls known by these keys; for a vendor with two feeds (``joins``), by either of their ids."""
    wanted, single = set(keys), len(keys) == 1
    params = {"vendor": vendor, "keys": keys[0] if single else keys}
    return {
        key: call
        for call in session.execute(_calls_by_key(joins, single), params).scalars()
        for key in (call.external_id, call.joined_id)
        if key in wanted
    }


@cache
def _calls_by_key(joins: bool, single: bool) -> Select:
    """Built once per shape: a batch's calls are read twice in every batch and every routing
    decision (a decision's one call by ``=``: an expanding list is rewritten at every run)."""
    keys = bindparam("keys") if single else bindparam("keys", expanding=True)

    def known_as(column):
        return column == keys if single else column.in_(keys)

    known = or_(known_as(Call.external_id), known_as(Call.joined_id)) if joins else known_as(Call.external_id)
    return select(Call).where(Call.vendor == bindparam("vendor"), known).order_by(Call.id).with_for_update(**ROW_LOCK)


def _join_by_caller(
    *, session: Session, vendor: str, events: Sequence[CallEvent], keys: list[str], region: str
) -> dict[str, Call]:
    """Calls first seen under another id: the same caller, dialled number and start (within
    ``JOIN_WITHIN``) make them one call, which keeps the new id as its ``joined_id``."""
    joined: dict[str, Call] = {}
    for key in keys:
        first = next((e for e in events if e.call_key == key and getattr(e, "client_number", None)), None)
        if first is None:
            continue
        number = to_e164(first.client_number, region=region)
        began = getattr(first, "started_at", None) or first.occurred_at
        candidates = session.execute(
            select(Call)
            .where(Call.vendor == vendor, Call.joined_id.is_(None), Call.external_id != key)
            .where(or_(Call.number == number, Call.number_raw == first.client_number))
            .where(Call.started_at.between(began - JOIN_WITHIN, began + JOIN_WITHIN))
            .order_by(Call.id)
            .with_for_update(**ROW_LOCK)
        ).scalars()
        line = _digits(first.line_number)
        call = next((c for c in candidates if not (line and c.line_number) or _digits(c.line_number) == line), None)
        if call is not None:
            call.joined_id = key
            joined[key] = call
            log.info("call %s (%s %s) is also %s: joined by caller and start", call.id, vendor, call.external_id, key)
    return joined


def left_to_pbx(*, session: Session, vendor: str, keys: set[str], reason: str) -> None:
    """Calls whose routing webhook was answered with the PBX's own plan (``reason``: the decision
    missed its deadline, or failed): the PBX routes them — ``route_rule`` ``pbx`` — and their
    timelines say why."""
    joins = registry.kind_of(vendor).joins_calls_by_caller
    now = utcnow()
    for call in _select_calls(session=session, vendor=vendor, keys=sorted(keys), joins=joins).values():
        call.route_rule = "pbx"
        timeline.note(session, call_id=call.id, at=now, kind=reason)


def _digits(number: str | None) -> str:
    return "".join(ch for ch in number or "" if ch.isdigit())


def _timeline_rows(*, call: Call, transitions: list[lifecycle.Transition], now: datetime) -> list[dict]:
    for t in transitions:
        if t.kind in ("finalized", "outcome_corrected"):
            log.debug("call %s (%s) %s: %s", call.id, call.external_id, t.kind, t.detail)
    return [
        {"call_id": call.id, "at": t.at, "recorded_at": now, "kind": t.kind, "detail": t.detail} for t in transitions
    ]


def _record(*, session: Session, rows: list[dict]) -> None:
    """Appends to the timelines (rows, not ORM objects: this is the hottest write)."""
    timeline.add(session, rows)
    for row in rows:
        if row["kind"] == "finalized":
            instruments.count(session, instruments.CALLS, row["detail"]["outcome"])
