"""Zadarma's wire format: the signature over a few fields (base64 of the hex HMAC-SHA1), what it
leaves unsigned, the call's start as its clock, and the samples parsed."""

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from telephony import PayloadError
from telephony.zadarma import webhooks as zadarma
from tests.support.app import ZADARMA_SECRET, zadarma_scenario

START = {"event": "NOTIFY_START", "call_start": "2026-12-03 13:00:00", "pbx_call_id": "in_1"}
START |= {"caller_id": "79001112233", "called_did": "74951234567"}


def test_the_signature_covers_caller_line_and_start_only():
    signature = zadarma.sign(ZADARMA_SECRET, START)
    assert zadarma.signature_valid(signature, START, secret=ZADARMA_SECRET)
    assert zadarma.signature_valid(signature, {**START, "pbx_call_id": "in_forged"}, secret=ZADARMA_SECRET)
    assert not zadarma.signature_valid(signature, {**START, "caller_id": "79990000000"}, secret=ZADARMA_SECRET)


def test_the_call_start_is_the_accounts_local_time():
    assert zadarma.sent_at(START, timezone="Europe/Moscow") == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert zadarma.sent_at({"event": "NOTIFY_RECORD", "pbx_call_id": "in_1"}, timezone="Europe/Moscow") is None


@pytest.mark.parametrize("written", ["2026-12-03 13:00:00", "2026-12-3 13:0:0"])
def test_the_call_start_reads_as_zadarma_writes_it_padded_or_not(written):
    moment = zadarma.sent_at({**START, "call_start": written}, timezone="Europe/Moscow")
    assert moment == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "written", ["2026-12-03", "2026-12-03T13:00:00", "2026-13-03 13:00:00", "2026-12-03 13:00:00+03"]
)
def test_a_call_start_that_is_no_local_time_is_refused(written):
    with pytest.raises(PayloadError, match="call_start"):
        zadarma.sent_at({**START, "call_start": written}, timezone="Europe/Moscow")


def test_a_nul_in_any_field_is_refused():
    with pytest.raises(PayloadError, match="NUL"):
        zadarma.parse({**START, "caller_id": "7900\x00"}, received_at=datetime.now(UTC), timezone="Europe/Moscow")


@pytest.mark.parametrize(
    "scenario", ["inbound_answered_group_ring", "caller_hangup_in_ivr", "sync_routing_ivr_dtmf_redirect"]
)
def test_every_sample_is_signed_and_parses(scenario):
    for item in zadarma_scenario(scenario):
        form = zadarma.parse_form(urlencode(item["body"]))
        assert zadarma.signature_valid(item["headers"]["Signature"], form, secret=ZADARMA_SECRET)
        assert zadarma.parse(form, received_at=datetime.now(UTC), timezone="Europe/Moscow")
