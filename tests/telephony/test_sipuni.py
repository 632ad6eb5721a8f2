"""Sipuni's events read into normalized call events: directions, operators' numbers in both
captured forms, the outcomes of ``status``."""

import pytest

from schemas.pbx_events import CallFinished, Direction, EndReason, LegKind, LegState, LegUpdate
from telephony import PayloadError, sipuni

RING = {
    "event": "1",
    "call_id": "c1",
    "src_type": "1",
    "src_num": "79001234567",
    "dst_type": "2",
    "timestamp": "1750000000",
}


@pytest.mark.parametrize(
    "operator",
    [{"short_dst_num": "201"}, {"dst_num": "000111201", "user_id": "000111"}, {"dst_num": "201"}],
    ids=["short number", "user_id followed by the extension", "bare extension"],
)
def test_the_operator_rung_is_found_in_either_number_form(operator):
    caller, ring = sipuni.parse(RING | operator)
    assert (caller.leg_key, caller.kind, caller.client_number) == ("caller", LegKind.queue, "79001234567")
    assert (ring.leg_key, ring.kind, ring.extension, ring.state) == (
        "ext:201",
        LegKind.operator,
        "201",
        LegState.appeared,
    )


def test_a_repeated_ring_a_second_later_has_the_same_dedup_key():
    assert sipuni.dedup_key(RING | {"short_dst_num": "201"}) == sipuni.dedup_key(
        RING | {"short_dst_num": "201", "timestamp": "1750000001"}
    )
    assert sipuni.dedup_key(RING | {"short_dst_num": "201"}) != sipuni.dedup_key(RING | {"short_dst_num": "202"})


@pytest.mark.parametrize(
    ("status", "reason", "answered"),
    [
        ("ANSWER", EndReason.completed, True),
        ("CANCEL", EndReason.caller_hung_up, False),
        ("NOANSWER", EndReason.no_answer, False),
        ("BUSY", EndReason.busy, False),
        ("CONGESTION", EndReason.failed, False),
        ("CHANUNAVAIL", EndReason.unavailable, False),
    ],
)
def test_the_final_status_decides_the_outcome(status, reason, answered):
    *_, finished = sipuni.parse(RING | {"event": "2", "status": status, "call_start_timestamp": "1750000000"})
    assert isinstance(finished, CallFinished)
    assert (finished.end_reason, finished.answered, finished.direction) == (reason, answered, Direction.inbound)


def test_last_called_is_the_last_of_an_ampersand_list_less_the_account():
    *_, finished = sipuni.parse(
        {
            "event": "2",
            "call_id": "c1",
            "status": "ANSWER",
            "timestamp": "1750000060",
            "user_id": "000111",
            "last_called": "000111201&000111202",
        }  # fmt: skip
    )
    assert finished.extension == "202" and finished.direction is None


def test_outbound_numbers_lose_the_id_suffix():
    [leg] = sipuni.parse(
        {
            "event": "3",
            "call_id": "c2",
            "src_type": "2",
            "short_src_num": "201",
            "dst_type": "1",
            "dst_num": "79001234569_id4421",
            "timestamp": "1750000000",
        }  # fmt: skip
    )
    assert isinstance(leg, LegUpdate)
    assert (leg.leg_key, leg.kind, leg.state, leg.client_number, leg.extension) == (
        "client",
        LegKind.external,
        LegState.connected,
        "79001234569",
        "201",
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"event": "9", "call_id": "c"},
        {"event": "1"},
        RING | {"timestamp": "soon"},
        {"event": "1", "call_id": "c", "timestamp": "1"},
    ],
    ids=["unknown event", "no call id", "bad time", "no side is ours"],
)
def test_unreadable_events_say_why(fields):
    with pytest.raises(PayloadError):
        sipuni.parse(fields)
