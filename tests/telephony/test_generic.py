"""The generic protocol: HMAC-SHA256 over the raw body, dedup by ``event_id`` or content, and the
values refused before they reach the database."""

import json
from datetime import UTC, datetime

import pytest

from telephony import PayloadError, generic

EVENT = {"event": "incoming", "call_id": "c1", "from": "+79001112233", "to": "+74951234567"}


def test_the_signature_covers_the_raw_body():
    body = json.dumps(EVENT).encode()
    assert generic.signature_valid(generic.sign("s", body), body, secret="s")
    assert not generic.signature_valid(generic.sign("s", body), body + b" ", secret="s")


def test_a_redelivery_is_known_by_event_id_or_by_content():
    assert generic.dedup_key({**EVENT, "event_id": "e1"}) == "id:e1"
    assert generic.dedup_key(EVENT) == generic.dedup_key(dict(reversed(list(EVENT.items()))))


@pytest.mark.parametrize(
    "raw, reason",
    [
        ('{"event":"incoming","call_id":"c1","seq":1e400}', "too large"),
        ('{"event":"incoming","call_id":"c1","x":NaN}', "NaN"),
        ('{"event":"incoming","call_id":"c\\ud800"}', "surrogate"),
        ('{"event":"incoming","call_id":"c1","x":' + "[" * 40 + "]" * 40 + "}", "nested"),
    ],
)
def test_json_no_database_can_hold_is_unreadable(raw, reason):
    with pytest.raises(PayloadError, match=reason):
        generic.load_payload(raw.encode())


@pytest.mark.parametrize("seq", [-1, 2**31, 10**30])
def test_a_seq_no_leg_can_keep_is_refused(seq):
    with pytest.raises(PayloadError, match="seq"):
        generic.parse({**EVENT, "seq": seq}, received_at=datetime.now(UTC))


def test_the_pbxs_clock_when_it_gives_one():
    assert generic.sent_at({**EVENT, "timestamp": 1760000000}) == datetime.fromtimestamp(1760000000, UTC)
    assert generic.sent_at(EVENT) is None
