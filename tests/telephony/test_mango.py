"""MANGO's wire format: the signature over the raw ``json`` field, notifications known by their
fields (not the unsigned path), the vendor's own clock, and the samples parsed."""

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from schemas.pbx_events import CallFinished, CommandResult, LegUpdate
from telephony import PayloadError
from telephony.mango import webhooks as mango
from tests.support.app import MANGO_KEY, MANGO_SALT, mango_scenario

LEG = {
    "entry_id": "E1",
    "call_id": "L1",
    "seq": 3,
    "call_state": "Appeared",
    "location": "ivr",
    "timestamp": 1760000000,
}


def test_the_signature_covers_the_json_text_exactly_as_sent():
    form = mango.signed_form(MANGO_KEY, MANGO_SALT, LEG)
    assert mango.signature_valid(form, api_key=MANGO_KEY, salt=MANGO_SALT)
    spaced = {**form, "json": json.dumps(LEG)}  # the same object, other whitespace: another text
    assert not mango.signature_valid(spaced, api_key=MANGO_KEY, salt=MANGO_SALT)
    assert not mango.signature_valid(form, api_key="other", salt=MANGO_SALT)


@pytest.mark.parametrize("path", ["events/call", "events/summary", "result/route", "events/xyz"])
def test_a_notification_is_known_by_its_fields_whatever_the_path(path):
    assert mango.dedup_key(path, LEG) == "call:L1:3"
    [event] = mango.parse(path, LEG)
    assert isinstance(event, LegUpdate) and event.leg_key == "L1"


def test_a_body_whose_fields_say_nothing_is_read_as_its_path_says():
    with pytest.raises(PayloadError, match="call_state"):
        mango.parse("events/call", {"entry_id": "E1", "call_id": "L1", "seq": 1, "timestamp": 1760000000})
    assert mango.parse("events/user/status_changed", {"abonent_id": 1, "status": "online"}) == []


def test_a_command_result_is_one_per_command():
    result = {"command_id": "cmd-7", "result": "1000"}
    assert mango.dedup_key("result/route", result) == mango.dedup_key("result/callback", result) == "result:cmd-7"
    [event] = mango.parse("result/route", result)
    assert isinstance(event, CommandResult) and event.ok


@pytest.mark.parametrize("seq", [-1, 2**31, 10**30])
def test_a_seq_no_leg_can_keep_is_refused(seq):
    with pytest.raises(PayloadError, match="seq"):
        mango.parse("events/call", {**LEG, "seq": seq})


def test_the_vendors_clock_seconds_or_milliseconds():
    assert mango.sent_at(LEG) == datetime.fromtimestamp(1760000000, UTC)
    assert mango.sent_at({"abonent_id": 1, "timestamp": 1760000000123}) == datetime.fromtimestamp(1760000000, UTC)
    assert mango.sent_at({"command_id": "x", "result": 1000}) is None


@pytest.mark.parametrize(
    "scenario",
    [
        "inbound_answered_via_queue",
        "inbound_missed_no_answer_queue_timeout",
        "caller_hangup_in_ivr",
        "outbound_callback_answered",
    ],
)
def test_every_sample_parses_and_ends_with_the_calls_summary(scenario):
    events = []
    for item in mango_scenario(scenario):
        form = mango.parse_form(urlencode(item["body"]))
        assert mango.signature_valid(form, api_key=MANGO_KEY, salt=MANGO_SALT)
        path = item["path"].strip("/")
        events += mango.parse(path, mango.load_payload(form["json"]))
    assert [e for e in events if isinstance(e, CallFinished)]


@pytest.mark.parametrize(
    "json_text, reason",
    [
        ('{"entry_id":"E1","name":"\ud800"}', "lone surrogate"),  # raw, in the decoded form field
        ('{"entry_id":"E1","name":"\\ud800"}', "lone surrogate"),
        ('{"entry_id":"E1","name":"a\\u0000"}', "NUL"),
        ('{"entry_id":"E1","name\\u0000":"a"}', "NUL"),
        ('{"entry_id":"E1","name":"a\x00"}', "not valid JSON"),
    ],
)
def test_a_json_field_no_database_can_hold_is_unreadable(json_text, reason):
    with pytest.raises(PayloadError, match=reason):
        mango.load_payload(json_text)
    assert mango.load_payload('{"name":"\\u0410\\u043d\\u043d\\u0430 \\\\u"}') == {"name": "Анна \\u"}
