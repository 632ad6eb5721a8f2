"""The call state machine: pure functions over a call and its legs, no I/O.

Events may come in any order and any number of times.  Legs keep the newest state by the
vendor's ``seq`` (or, without one, a state never moves back), but the moments they record
(rang, answered, ended) are merged from every event, so a late ``Connected`` still counts.
The PBX's final event decides the outcome; without one the sweep decides from the legs.
"""

from dataclasses import dataclass, field
from datetime import datetime

from app.calls.legs import Leg
from app.calls.models import Call, CallState, Outcome
from schemas.pbx_events import (
    CallEvent,
    CallFinished,
    CallNote,
    Direction,
    EndReason,
    LegKind,
    LegState,
    LegUpdate,
    RecordingUpdate,
)

_RANK = {LegState.appeared: 0, LegState.connected: 1, LegState.on_hold: 1, LegState.disconnected: 2}
TALK_KINDS = (LegKind.operator, LegKind.external)  # a connected leg of these kinds means someone talked
_WAITING_KINDS = (LegKind.ivr, LegKind.queue)
SILENCE_REASON = "silence_timeout"


@dataclass
class Transition:
    at: datetime
    kind: str
    detail: dict = field(default_factory=dict)


def new_leg(call: Call, event: LegUpdate) -> Leg:
    return Leg(call.id, event.leg_key, event.kind.value, event.state.value)


def apply(call: Call, legs: dict[str, Leg], event: CallEvent) -> list[Transition]:
    """Applies one event; ``legs`` (by vendor leg id) is updated in place, new legs included."""
    if isinstance(event, LegUpdate):
        changes = _apply_leg(call, legs, event)
    elif isinstance(event, CallFinished):
        changes = _apply_finished(call, legs, event)
    elif isinstance(event, RecordingUpdate):  # the recording itself is app.recordings' (its id and link are secret)
        detail = {"state": event.state.value, "extension": event.extension}
        changes = [Transition(event.occurred_at, "recording", detail)]
    elif isinstance(event, CallNote):
        changes = [Transition(event.occurred_at, event.kind, event.detail)]
    else:
        raise TypeError(f"unknown event {event!r}")
    # The earliest moment anyone reports is when the call began (a min: arrival order cannot matter).
    began = event.started_at if isinstance(event, CallFinished) and event.started_at else event.occurred_at
    _update(call, started_at=min(call.started_at, began))
    return changes + derive(call, legs)


def _apply_leg(call: Call, legs: dict[str, Leg], event: LegUpdate) -> list[Transition]:
    leg = legs.get(event.leg_key)
    if leg is None:
        leg = legs[event.leg_key] = new_leg(call, event)
        stale = False
    elif event.seq is not None and leg.seq is not None:
        stale = event.seq <= leg.seq
        if not stale and event.state == LegState.appeared and leg.state == LegState.disconnected:
            _ring_again(leg)  # a PBX that names legs by extension rang the same phone again
    else:
        stale = _RANK[event.state] < _RANK[LegState(leg.state)]
    at = event.occurred_at
    changes = {"appeared_at": _earliest(leg.appeared_at, at)}
    if event.state in (LegState.connected, LegState.on_hold):
        changes["connected_at"] = _earliest(leg.connected_at, at)
    if event.state == LegState.disconnected:  # final for the leg, whatever else arrived first
        changes["ended_at"] = _latest(leg.ended_at, at)
        changes["end_reason"] = leg.end_reason or (event.end_reason.value if event.end_reason else None)
        changes["end_code"] = leg.end_code or event.end_code
        changes["state"] = event.state.value
        if event.seq is not None:
            changes["seq"] = event.seq if leg.seq is None else max(leg.seq, event.seq)
    elif not stale and leg.state != LegState.disconnected:
        changes["state"] = event.state.value
        changes["seq"] = event.seq if event.seq is not None else leg.seq
    for name, value in (
        ("extension", event.extension),
        ("group_number", event.group),
        ("client_number", event.client_number),
        ("line_number", event.line_number),
        ("command_id", event.command_id),
    ):
        if value and getattr(leg, name) is None:
            changes[name] = value
    _update(leg, **changes)
    detail = {"leg": event.leg_key, "kind": event.kind.value, "extension": event.extension, "seq": event.seq}
    if event.end_reason:
        detail["end_reason"] = event.end_reason.value
    if stale:
        detail["late"] = True
    return [Transition(at, f"leg_{event.state.value}", detail)]


def _ring_again(leg: Leg) -> None:
    """The leg starts over: a new ring of the same phone on the same call (a newer ``seq`` after its end)."""
    for name in ("appeared_at", "connected_at", "ended_at", "end_reason", "end_code", "dispatch_step"):
        setattr(leg, name, None)
    leg.state = LegState.appeared.value


def _apply_finished(call: Call, legs: dict[str, Leg], event: CallFinished) -> list[Transition]:
    call.final_received = True
    call.final_direction = event.direction.value if event.direction else None
    call.final_answered = event.answered
    changes = []
    if event.answered and event.extension:
        call.operator_extension = event.extension
    if event.answered and event.answered_at:
        if call.answered_at is None:
            changes.append(Transition(event.answered_at, "answered", {"extension": call.operator_extension}))
        call.answered_at = event.answered_at
    call.number_raw = event.client_number or call.number_raw
    call.line_number = event.line_number or call.line_number
    call.ended_at = event.occurred_at
    call.end_reason = event.end_reason.value if event.end_reason else None
    call.finalized_by, call.finalized_at = "pbx", event.occurred_at
    detail = {"answered": event.answered, "direction": call.final_direction, "reason": call.end_reason}
    return [Transition(event.occurred_at, "pbx_final", detail), *changes]


def finalize_without_pbx(call: Call, legs: dict[str, Leg], *, now: datetime) -> list[Transition]:
    """The sweep's verdict on a call the PBX never finalized, judged from its legs."""
    ended = [leg.ended_at for leg in legs.values() if leg.ended_at is not None]
    everything_ended = all_legs_ended(legs)
    call.ended_at = max(ended) if everything_ended and ended else (call.ended_at or now)
    call.end_reason = _last_end_reason(legs) if everything_ended else SILENCE_REASON
    call.finalized_by, call.finalized_at = "sweep", now
    return derive(call, legs)


def decide_outcome(direction: Direction, *, answered: bool, reason: str | None) -> Outcome:
    if answered:
        return Outcome.answered
    if direction != Direction.inbound:
        return Outcome.not_reached
    return Outcome.abandoned if reason == EndReason.caller_hung_up else Outcome.missed


def derive(call: Call, legs: dict[str, Leg]) -> list[Transition]:
    """Recomputes what the legs say about the call; what the PBX's final event stated wins.

    Once the call is finalized the outcome follows from direction, answer and end reason, so a
    leg that arrives after the verdict (or a summary after the sweep) corrects it.
    """
    changes: list[Transition] = []
    direction = Direction(call.final_direction) if call.final_direction else _direction(legs)
    if call.final_answered is None:
        answered_at = _answered_at(legs)
    else:
        answered_at = (call.answered_at or _answered_at(legs) or call.ended_at) if call.final_answered else None
    if answered_at is not None and call.answered_at is None:
        changes.append(Transition(answered_at, "answered", {"extension": _answering_extension(legs)}))
    operator_extension = call.operator_extension
    if answered_at is not None and not (call.final_answered and call.operator_extension):
        operator_extension = _answering_extension(legs) or call.operator_extension
    _update(
        call,
        direction=direction.value,
        number_raw=call.number_raw or _client_number(legs),
        line_number=call.line_number or next((leg.line_number for leg in _ordered(legs) if leg.line_number), None),
        answered_at=answered_at,
        operator_extension=operator_extension,
    )
    if call.finalized_by is not None:
        changes += _judge(call, legs, direction)
    _update(call, state=_live_state(call, legs))
    return changes


def _judge(call: Call, legs: dict[str, Leg], direction: Direction) -> list[Transition]:
    answered = call.answered_at is not None
    outcome = decide_outcome(direction, answered=answered, reason=call.end_reason or _last_end_reason(legs))
    _update(call, ended_in="talk" if answered else _furthest_stage(legs))
    if outcome == call.outcome:
        return []
    detail = {"outcome": outcome.value, "reason": call.end_reason, "by": call.finalized_by}
    at = call.ended_at or call.finalized_at
    if call.outcome is None:
        change = Transition(at, "finalized", detail)
    else:
        change = Transition(at, "outcome_corrected", detail | {"previous": call.outcome})
    call.outcome = outcome
    return [change]


def all_legs_ended(legs: dict[str, Leg]) -> bool:
    return bool(legs) and all(leg.state == LegState.disconnected for leg in legs.values())


def _live_state(call: Call, legs: dict[str, Leg]) -> CallState:
    if call.final_received or all_legs_ended(legs):
        return CallState.ended
    active = [leg for leg in legs.values() if leg.state != LegState.disconnected]
    talking = [leg for leg in active if leg.kind in TALK_KINDS and leg.connected_at is not None]
    if talking:
        return CallState.on_hold if all(leg.state == LegState.on_hold for leg in talking) else CallState.connected
    if any(leg.kind in (*TALK_KINDS, LegKind.initiator) for leg in active):
        return CallState.ringing
    if any(leg.kind == LegKind.queue for leg in active):
        return CallState.queued
    if any(leg.kind == LegKind.ivr for leg in active):
        return CallState.ivr
    return CallState.new


def _ordered(legs: dict[str, Leg]) -> list[Leg]:
    def key(leg: Leg):
        moment = leg.appeared_at or leg.connected_at or leg.ended_at
        return (moment.timestamp() if moment else float("inf"), leg.external_id)

    return sorted(legs.values(), key=key)


def _direction(legs: dict[str, Leg]) -> Direction:
    kinds = {leg.kind for leg in legs.values()}
    if kinds & set(_WAITING_KINDS):
        return Direction.inbound
    if kinds & {LegKind.initiator, LegKind.external}:
        return Direction.outbound
    if any(leg.client_number for leg in legs.values()):
        return Direction.inbound
    return Direction.internal if legs else Direction.inbound


def _client_number(legs: dict[str, Leg]) -> str | None:
    return next((leg.client_number for leg in _ordered(legs) if leg.client_number), None)


def _answered_at(legs: dict[str, Leg]) -> datetime | None:
    moments = [leg.connected_at for leg in legs.values() if leg.kind in TALK_KINDS and leg.connected_at]
    return min(moments) if moments else None


def _answering_extension(legs: dict[str, Leg]) -> str | None:
    talked = [leg for leg in legs.values() if leg.kind in TALK_KINDS and leg.connected_at and leg.extension]
    return min(talked, key=lambda leg: (leg.connected_at, leg.external_id)).extension if talked else None


def _last_end_reason(legs: dict[str, Leg]) -> str | None:
    """The reason of the leg that ended last; the caller's own leg (IVR, queue) tells most on a tie."""
    ended = [leg for leg in legs.values() if leg.ended_at is not None and leg.end_reason]
    if not ended:
        return None
    return max(ended, key=lambda leg: (leg.ended_at, leg.kind not in TALK_KINDS, leg.external_id)).end_reason


def _furthest_stage(legs: dict[str, Leg]) -> str | None:
    kinds = {leg.kind for leg in legs.values()}
    if kinds & {*TALK_KINDS, LegKind.initiator}:
        return "ringing"
    if LegKind.queue in kinds:
        return "queue"
    if LegKind.ivr in kinds:
        return "ivr"
    return None


def _update(row, **values) -> None:
    """Assigns only what changes: every processed webhook re-derives its call, and an ORM attribute
    assignment costs far more than a comparison."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _earliest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate < current else current


def _latest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current
