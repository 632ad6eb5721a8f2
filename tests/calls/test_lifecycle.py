"""The call state machine on its own: any order, any number of times, one outcome."""

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from app.calls import lifecycle
from app.calls.models import Call, CallLeg, Outcome
from schemas.pbx_events import CallFinished, Direction, EndReason, LegKind, LegState, LegUpdate
from telephony.mango import webhooks as mango
from telephony.mango.script import InboundCall

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def events_of(script) -> list:
    return [event for path, payload in script for event in mango.parse(path, payload)]


def run(events, *, sweep: bool = False) -> tuple[Call, dict[str, CallLeg]]:
    call = Call(vendor="mango", external_id="e", started_at=events[0].occurred_at)
    legs: dict[str, CallLeg] = {}
    for event in events:
        lifecycle.apply(call, legs, event)
    if sweep and call.outcome is None:
        lifecycle.finalize_without_pbx(call, legs, now=T0)
    return call, legs


def summary(call: Call, legs: dict[str, CallLeg]) -> tuple:
    return (
        call.direction,
        call.outcome,
        call.state,
        call.number_raw,
        call.operator_extension,
        call.answered_at,
        call.started_at,
        call.ended_at,
        call.end_reason,
        call.ended_in,
        sorted((key, leg.state, leg.seq, leg.connected_at, leg.ended_at) for key, leg in legs.items()),
    )


SCRIPTS = {
    "answered": InboundCall("A", "79001234567", 1750000000).answered(missed_by=("101",), extension="102"),
    "missed": InboundCall("M", "79001234567", 1750000000).missed(rung=("101", "102")),
    "abandoned": InboundCall("B", "79001234567", 1750000000).missed(rung=("101",), code=1110, wait=30),
}
EXPECTED = {"answered": Outcome.answered, "missed": Outcome.missed, "abandoned": Outcome.abandoned}


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(SCRIPTS)), data=st.data())
def test_any_order_and_repetition_gives_the_same_call(name, data):
    events = events_of(SCRIPTS[name])
    expected = summary(*run(events))
    assert expected[1] == EXPECTED[name]
    delivered = data.draw(st.lists(st.sampled_from(events), min_size=0, max_size=10))
    shuffled = data.draw(st.permutations(events + delivered))
    assert summary(*run(shuffled)) == expected


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(SCRIPTS)), data=st.data())
def test_without_the_summary_the_sweep_reaches_the_same_outcome(name, data):
    events = [e for e in events_of(SCRIPTS[name]) if not isinstance(e, CallFinished)]
    shuffled = data.draw(st.permutations(events))
    call, _ = run(shuffled, sweep=True)
    assert call.outcome == EXPECTED[name] and call.finalized_by == "sweep"


def test_stale_seq_does_not_move_a_leg_back_but_its_moment_counts():
    appeared = LegUpdate(
        call_key="e",
        leg_key="l",
        seq=1,
        state=LegState.appeared,
        kind=LegKind.operator,
        extension="101",
        occurred_at=T0,
    )
    connected = appeared.model_copy(update={"seq": 2, "state": LegState.connected, "occurred_at": T0.replace(second=5)})
    ended = appeared.model_copy(
        update={
            "seq": 3,
            "state": LegState.disconnected,
            "occurred_at": T0.replace(second=50),
            "end_reason": EndReason.caller_hung_up,
        }
    )
    call, legs = run([ended, appeared, connected])
    assert legs["l"].state == "disconnected" and legs["l"].seq == 3
    assert call.answered_at == T0.replace(second=5) and call.operator_extension == "101"


def test_late_summary_corrects_the_sweep():
    script = InboundCall("C", "79001234567", 1750000000).answered(extension="101")
    legs_only = [e for e in events_of(script) if not isinstance(e, CallFinished)]
    # The sweep saw the legs of a call whose Connected never arrived: the caller hung up unanswered.
    call, legs = run([e for e in legs_only if e.state != LegState.connected], sweep=True)
    assert call.outcome == Outcome.abandoned
    changes = lifecycle.apply(call, legs, events_of(script)[-1])
    assert call.outcome == Outcome.answered and call.finalized_by == "pbx"
    assert [c.kind for c in changes] == ["pbx_final", "answered", "outcome_corrected"]


def test_outbound_click_to_call_is_not_reached_when_the_client_does_not_answer():
    initiator = LegUpdate(
        call_key="o",
        leg_key="1",
        seq=1,
        state=LegState.connected,
        kind=LegKind.initiator,
        extension="101",
        client_number="79001234567",
        occurred_at=T0,
    )
    client = LegUpdate(
        call_key="o",
        leg_key="2",
        seq=2,
        state=LegState.disconnected,
        kind=LegKind.external,
        extension="101",
        client_number="79001234567",
        occurred_at=T0.replace(second=30),
        end_reason=EndReason.no_answer,
    )
    final = CallFinished(
        call_key="o",
        occurred_at=T0.replace(second=31),
        direction=Direction.outbound,
        answered=False,
        end_reason=EndReason.no_answer,
    )
    call, _ = run([initiator, client, final])
    assert (call.direction, call.outcome) == ("outbound", Outcome.not_reached)
