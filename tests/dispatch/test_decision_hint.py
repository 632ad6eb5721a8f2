"""What a process remembers about routing webhooks saves a read, never changes an answer: it
sends to the decision only calls it decided and calls on lines it read as a queue's (lately)."""

from datetime import UTC, datetime

from app.dispatch import decision_hint
from app.dispatch.decision_hint import DecisionHint
from schemas.pbx_events import LegKind, LegState, LegUpdate

QUEUE_LINE, OTHER_LINE = "+74951234567", "+74957654321"


def ringing(call_key: str, line: str | None = None) -> LegUpdate:
    return LegUpdate(
        call_key=call_key,
        occurred_at=datetime.now(UTC),
        leg_key=f"{call_key}-caller",
        state=LegState.appeared,
        kind=LegKind.external,
        line_number=line,
    )


def test_decided_calls_and_queue_lines_go_straight_to_the_decision():
    hint = DecisionHint(region="RU")
    assert not hint.goes_to_decision([ringing("c1", QUEUE_LINE)])  # nothing read yet
    hint.note_lines({QUEUE_LINE: 1})
    assert hint.goes_to_decision([ringing("c1", QUEUE_LINE)])
    assert not hint.goes_to_decision([ringing("c2", OTHER_LINE)])
    assert not hint.goes_to_decision([ringing("c2")])  # asking again, no line: unknown call
    hint.note_decided(["c2"])
    assert hint.goes_to_decision([ringing("c2")])
    assert not hint.goes_to_decision([ringing("c2"), ringing("c3")])  # one of them unknown
    assert not hint.goes_to_decision([])


def test_lines_read_long_ago_and_the_oldest_calls_are_forgotten(monkeypatch):
    hint = DecisionHint(region="RU")
    hint.note_lines({QUEUE_LINE: 1})
    monkeypatch.setattr(decision_hint, "FRESH_SECONDS", -1.0)  # (every read is older than that)
    assert not hint.goes_to_decision([ringing("c1", QUEUE_LINE)])
    monkeypatch.setattr(decision_hint, "KNOWN_CALLS_KEPT", 2)
    hint.note_decided(["a", "b"])
    hint.note_decided(["a", "c"])  # noted again: "a" is now newer than "b"
    assert [hint.goes_to_decision([ringing(key)]) for key in "abc"] == [True, False, True]
