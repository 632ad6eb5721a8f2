"""Webhooks we must not take: each gets a clear 4xx and changes nothing."""

import pytest

from app.settings import Settings
from telephony.mango import webhooks as mango
from tests.support.app import MANGO_KEY, MANGO_SALT, mango_scenario, running
from tests.support.inbox import assert_nothing_changed, call_count, inbox_rows

GOOD = mango_scenario("inbound_missed_no_answer_queue_timeout")[0]


@pytest.mark.parametrize(
    "tamper, status",
    [
        (lambda body: {**body, "sign": "0" * 64}, 401),
        (lambda body: {**body, "vpbx_api_key": "somebody-elses-key"}, 401),
        (lambda body: {**body, "json": body["json"].replace("79001234567", "79990000000")}, 401),
        (lambda body: {k: v for k, v in body.items() if k != "sign"}, 400),
        (lambda body: {k: v for k, v in body.items() if k != "json"}, 400),
    ],
)
async def test_bad_signature_or_form_changes_nothing(cf, tamper, status):
    response = await cf.http.post("/pbx/mango/events/call", data=tamper(GOOD["body"]))
    assert response.status_code == status
    assert response.json()["detail"]
    await assert_nothing_changed(cf)


async def test_body_that_is_not_a_form_is_400(cf):
    response = await cf.http.post(
        "/pbx/mango/events/call",
        content=b"\xff\xfe not text",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    response = await cf.http.post("/pbx/mango/events/call", content=b"sign=a&sign=b&json=%7B%7D&vpbx_api_key=k")
    assert response.status_code == 400 and "repeated" in response.json()["detail"]
    await assert_nothing_changed(cf)


async def test_huge_body_is_413(cf):
    payload = {"entry_id": "x", "padding": "z" * (1024 * 1024)}
    response = await cf.http.post("/pbx/mango/events/call", data=mango.signed_form(MANGO_KEY, MANGO_SALT, payload))
    assert response.status_code == 413
    await assert_nothing_changed(cf)


@pytest.mark.parametrize(
    "json_text, reason",
    [
        ("[1, 2]", "must be a JSON object"),
        ("{not json", "not valid JSON"),
        ('{"entry_id": "e1", "call_id": "c1", "seq": 1, "timestamp": 1750000000}', "missing call_state"),
        (
            '{"entry_id": "e1", "call_id": "c1", "seq": "two", "call_state": "Appeared", "timestamp": 1}',
            "seq must be an integer",
        ),
        (
            '{"entry_id": "%s", "call_id": "c1", "seq": 1, "call_state": "Appeared", "timestamp": 1}' % ("e" * 200),
            "call_key: String should have at most 128 characters",
        ),
    ],
)
async def test_signed_but_unreadable_payload_is_kept_and_answered_422(cf, json_text, reason):
    form = {"vpbx_api_key": MANGO_KEY, "sign": mango.sign(MANGO_KEY, MANGO_SALT, json_text), "json": json_text}
    response = await cf.http.post("/pbx/mango/events/call", data=form)
    assert response.status_code == 422 and reason in response.json()["detail"]
    await cf.settle()
    [row] = await inbox_rows(cf)
    assert row.error and reason in row.error and row.handled_at is None
    assert await call_count(cf) == 0


async def test_unknown_mango_path_is_404_and_known_ones_are_stored(cf):
    response = await cf.http.post("/pbx/mango/commands/route", data=GOOD["body"])
    assert response.status_code == 404
    response = await cf.http.post(
        "/pbx/mango/events/user/status_changed",
        data=mango.signed_form(
            MANGO_KEY, MANGO_SALT, {"abonent_id": 1, "status": "online", "timestamp": 1750000000000}
        ),
    )
    assert response.status_code == 200 and response.json()["status"] == "accepted"


async def test_unconfigured_vendor_refuses_everything(settings):
    async with running(settings.model_copy(update={"mango_api_salt": "", "generic_secret": ""})) as cf:
        response = await cf.post_pbx(GOOD)
        assert response.status_code == 403 and "not configured" in response.json()["detail"]
        response = await cf.http.post("/pbx/generic/events", content=b"{}", headers={"X-Callfunnel-Signature": "x"})
        assert response.status_code == 403
        await assert_nothing_changed(cf)


async def test_allow_list_refuses_other_addresses(settings):
    allowed = settings.model_copy(update={"pbx_allowed_ips": allowed_networks({"mango": ["10.1.2.0/24"]})})
    async with running(allowed) as cf:  # the test client connects from 81.88.80.132
        response = await cf.post_pbx(GOOD)
        assert response.status_code == 403 and "not an allowed mango address" in response.json()["detail"]
        await assert_nothing_changed(cf)
    listed = settings.model_copy(
        update={"pbx_allowed_ips": allowed_networks({"mango": ["81.88.80.132", "81.88.82.36"]})}
    )
    async with running(listed) as cf:
        assert (await cf.post_pbx(GOOD)).status_code == 200


def allowed_networks(raw: dict) -> dict:
    return Settings(_env_file=None, pbx_allowed_ips=raw).pbx_allowed_ips


async def test_duplicate_delivery_is_acknowledged_once_stored(cf):
    first = await cf.post_pbx(GOOD)
    second = await cf.post_pbx(GOOD)
    assert first.json() == {"status": "accepted", "inbox_id": first.json()["inbox_id"]}
    assert second.json() == {"status": "duplicate", "inbox_id": first.json()["inbox_id"]}
    assert len(await inbox_rows(cf)) == 1
