"""Signed webhooks that once broke intake: each is stored as received and answered 422, or refused
with nothing stored; replays under another path or from long ago change nothing."""

import asyncio
import json
import time

import pytest

from telephony import generic
from telephony.mango import webhooks as mango
from tests.support.app import GENERIC_SECRET, MANGO_KEY, MANGO_SALT, mango_scenario, running, signed_mango
from tests.support.inbox import call_count, inbox_rows


async def post_generic(cf, body: bytes):
    headers = {generic.SIGNATURE_HEADER: generic.sign(GENERIC_SECRET, body), "content-type": "application/json"}
    return await cf.http.post("/pbx/generic/events", content=body, headers=headers)


@pytest.mark.parametrize(
    "body, reason",
    [
        (b'{"event":"incoming","call_id":"c1","from":' + b"[" * 10000 + b"]" * 10000 + b"}", "nested deeper"),
        (b'{"event":"incoming","call_id":"c\\ud800","from":"+79001112233"}', "lone surrogate"),
        (b'{"event":"incoming","call_id":"c\\u0000","from":"+79001112233"}', "NUL"),
        (b'{"event":"incoming","call_id":"c1","from":"+79001112233","seq":1000000000000000000000000000000}', "seq"),
        (b'{"event":"incoming","call_id":"c1","from":"+79001112233","seq":NaN}', "NaN"),
        (b'{"event":"incoming","call_id":"c\x00","from":"+79001112233"}', "not valid JSON"),
    ],
)
async def test_a_signed_body_no_part_can_hold_is_stored_as_received_and_answered_422(cf, body, reason):
    response = await post_generic(cf, body)
    assert response.status_code == 422 and reason in response.json()["detail"], response.text
    [item] = await inbox_rows(cf)
    assert item.raw_body.encode() == body and item.error is not None
    assert await call_count(cf) == 0
    again = await post_generic(cf, body)
    assert again.status_code == 422 and len(await inbox_rows(cf)) == 1  # the same body is one inbox row


async def test_the_same_signed_mango_body_under_another_path_is_one_notification(cf):
    item = mango_scenario("inbound_missed_no_answer_queue_timeout")[0]
    assert (await cf.post_pbx(item)).json()["status"] == "accepted"
    for path in ("/result/route", "/events/xyz", "/events/summary"):
        response = await cf.post_pbx({**item, "path": path})
        assert response.status_code == 200 and response.json()["status"] == "duplicate", (path, response.text)
    assert len(await inbox_rows(cf)) == 1


async def test_a_webhook_dated_past_the_window_is_refused_and_changes_nothing(settings):
    async with running(settings.model_copy(update={"webhook_max_age_days": 30})) as cf:
        now = int(time.time())
        old = {
            **{"entry_id": "E-old", "call_id": "L-old", "seq": 1, "call_state": "Appeared", "location": "ivr"},
            **{"from": {"number": "79001112233"}, "to": {"number": "74951234567"}, "timestamp": now - 31 * 86400},
        }
        response = await cf.post_pbx(signed_mango("events/call", old))
        assert response.status_code == 409 and "days ago" in response.json()["detail"]
        old_generic = {"event": "incoming", "call_id": "g-old", "from": "+79001112233", "timestamp": now - 40 * 86400}
        assert (await post_generic(cf, json.dumps(old_generic).encode())).status_code == 409
        assert await inbox_rows(cf) == [] and await call_count(cf) == 0
        fresh = {**old, "call_id": "L-new", "timestamp": now - 60}
        assert (await cf.post_pbx(signed_mango("events/call", fresh))).status_code == 200
        undated = {"event": "incoming", "call_id": "g-undated", "from": "+79001112233", "to": "+74951234567"}
        assert (await post_generic(cf, json.dumps(undated).encode())).status_code == 200  # taken as received


async def test_a_body_that_trickles_in_is_cut_with_408(settings):
    async with running(settings.model_copy(update={"webhook_read_timeout_seconds": 0.3})) as cf:
        form = mango.signed_form(MANGO_KEY, MANGO_SALT, {"command_id": "x", "result": 1000})
        body = "&".join(f"{k}={v}" for k, v in form.items()).encode()

        async def trickle():
            yield body[:10]
            await asyncio.sleep(1.0)
            yield body[10:]

        response = await cf.http.post(
            "/pbx/mango/result/callback",
            content=trickle(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 408
        assert await inbox_rows(cf) == []
