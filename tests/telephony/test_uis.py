"""UIS notifications and interactive call processing read into normalized events, and the
routing decision written the way the scenario step reads it."""

from datetime import UTC, datetime

import pytest

from schemas.pbx_events import CallFinished, CallNote, LegKind, LegState, LegUpdate
from schemas.routing import RouteAction, RouteDecision, RouteTarget
from telephony import PayloadError, uis

RECEIVED = datetime(2025, 6, 15, 15, 7, tzinfo=UTC)
STEP = {"cdr_id": "55", "start_time": "2025-06-15 18:06:40", "numa": "79001234567", "numb": "74951234567"}


def test_the_scenario_step_puts_the_caller_in_the_queue():
    [waiting] = uis.parse_route_request(STEP | {"input_result": "None"}, received_at=RECEIVED, timezone="Europe/Moscow")
    assert (waiting.call_key, waiting.kind, waiting.state) == ("55", LegKind.queue, LegState.appeared)
    assert (waiting.client_number, waiting.line_number) == ("79001234567", "74951234567")
    assert waiting.occurred_at == datetime(2025, 6, 15, 15, 6, 40, tzinfo=UTC)  # the cabinet's Moscow time


def test_digits_keyed_in_are_kept_on_the_timeline():
    _, note = uis.parse_route_request(STEP | {"input_result": "2"}, received_at=RECEIVED, timezone="UTC")
    assert isinstance(note, CallNote) and note.detail == {"digits": "2"}


@pytest.mark.parametrize("start", ["1750000000", "2025-06-15T15:06:40+00:00", "2025-06-15 18:06:40"])
def test_times_are_read_in_every_shape_the_templates_give(start):
    [leg] = uis.parse_notification(
        {"event": "call_start", "call_session_id": "9", "start_time": start, "calling_phone_number": "79001234567"},
        received_at=RECEIVED,
        timezone="Europe/Moscow",
    )
    assert leg.occurred_at == datetime(2025, 6, 15, 15, 6, 40, tzinfo=UTC)


def test_call_end_leaves_the_answer_to_the_legs():
    *legs, finished = uis.parse_notification(
        {"event": "call_end", "call_session_id": "9", "extension": "101", "direction": "in"},
        received_at=RECEIVED,
        timezone="UTC",
    )
    assert [leg.leg_key for leg in legs if isinstance(leg, LegUpdate)] == ["caller", "ext:101"]
    assert isinstance(finished, CallFinished) and finished.answered is None


@pytest.mark.parametrize(
    ("decision", "reply"),
    [
        (
            RouteDecision(action=RouteAction.ring, targets=[RouteTarget(extension="101", offer_id=1)]),
            '{"phones":["101"]}',
        ),
        (RouteDecision(action=RouteAction.wait), '{"returned_code":7}'),
        (RouteDecision(action=RouteAction.reject, reason="after_hours"), '{"returned_code":8}'),
        (RouteDecision(action=RouteAction.proceed), '{"returned_code":8}'),
    ],
)
def test_the_decision_is_a_phone_or_a_scenario_branch(decision, reply):
    assert uis.render(decision, wait_code=7, fallback_code=8) == reply


@pytest.mark.parametrize(
    "payload",
    [{"event": "hold", "call_session_id": "9"}, {"event": "call_start"}, {"event": "answered", "call_session_id": "9"}],
    ids=["unknown event", "no call", "answered by nobody"],
)
def test_unreadable_notifications_say_why(payload):
    with pytest.raises(PayloadError):
        uis.parse_notification(payload, received_at=RECEIVED, timezone="UTC")
