"""Zadarma NOTIFY_* webhooks: verification, the call lifecycle, and routing in the reply."""

import json

from sqlalchemy import func, select

from app.auth.models import Role
from app.inbox.models import InboxItem
from app.pbx import routed
from app.settings import Settings
from telephony.zadarma import webhooks as zadarma
from tests.support.app import ZADARMA_SECRET, running, zadarma_scenario
from tests.support.desk import Desk
from tests.support.zadarma import inbound, notify


async def stored_count(cf) -> int:
    return await cf.db.read(lambda s: s.execute(select(func.count()).select_from(InboxItem)).scalar_one())


async def test_url_check_echoes_zd_echo(cf):
    [item] = zadarma_scenario("url_verification_zd_echo")
    response = await cf.http.get("/pbx/zadarma", params={"zd_echo": "7d3f9a1c"})
    assert (response.status_code, response.text) == (200, item["expected_response"]["body"])
    assert response.headers["content-type"].startswith("text/plain")
    assert (await cf.http.post("/pbx/zadarma?zd_echo=abc")).text == "abc"


async def test_refusals_store_nothing(cf, settings):
    item = notify("NOTIFY_START", "in_r1", **inbound("in_r1"))
    no_signature = await cf.http.post("/pbx/zadarma", data=item["body"])
    assert no_signature.status_code == 400 and "Signature" in no_signature.json()["detail"]
    forged = await cf.http.post("/pbx/zadarma", data=item["body"], headers={"Signature": "Zm9yZ2Vk"})
    assert forged.status_code == 401
    tampered = dict(item["body"], caller_id="79990000000")
    assert (await cf.http.post("/pbx/zadarma", data=tampered, headers=item["headers"])).status_code == 401
    unknown = {"event": "NOTIFY_SOMETHING", "pbx_call_id": "in_r1"}
    assert (await cf.http.post("/pbx/zadarma", data=unknown, headers=item["headers"])).status_code == 400
    assert await stored_count(cf) == 0
    async with running(Settings(_env_file=None, database_url=settings.database_url)) as unconfigured:
        assert (await unconfigured.post_pbx(item)).status_code == 403


async def test_signed_but_unreadable_is_kept_and_answered_422(cf):
    item = notify("NOTIFY_START", "in_bad", **inbound("in_bad"))
    item["body"]["call_start"] = "yesterday"
    item["headers"]["Signature"] = zadarma.sign(ZADARMA_SECRET, item["body"])
    response = await cf.post_pbx(item)
    assert response.status_code == 422 and "call_start" in response.json()["detail"]
    assert await stored_count(cf) == 1


async def test_group_ring_sample_without_a_queue_is_recorded_as_the_pbx_ran_it(cf, supervisor):
    operator = await cf.user("olga", Role.operator, extension="101")
    for item in zadarma_scenario("inbound_answered_group_ring"):
        response = await cf.post_pbx(item)
        assert response.status_code == item["expected_response"]["status"]
        if "body" in item["expected_response"]:
            assert response.text == item["expected_response"]["body"]
    await cf.settle()
    [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert (call["vendor"], call["direction"], call["outcome"]) == ("zadarma", "inbound", "answered")
    assert call["operator_id"] == operator["id"] and call["number"] == "+79001234567"
    [recording] = (await cf.http.get(f"/api/calls/{call['id']}/recordings", headers=supervisor["headers"])).json()
    assert call["recording_id"] == str(recording["id"])  # NOTIFY_RECORD's; Zadarma's own id is never shown
    assert call["started_at"] == "2025-06-15T15:06:40Z"  # the account's Moscow time, in UTC


async def test_caller_hangs_up_in_the_ivr_sample_is_abandoned_and_called_back(cf, supervisor):
    for item in zadarma_scenario("caller_hangup_in_ivr"):
        assert (await cf.post_pbx(item)).status_code == 200
    await cf.settle()
    [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert call["outcome"] == "abandoned"
    [callback] = (await cf.http.get("/api/callbacks", headers=supervisor["headers"])).json()["items"]
    assert (callback["phone"], callback["reason"], callback["status"]) == ("+79001234567", "abandoned", "open")


async def test_sync_routing_sample_redirects_to_the_chosen_operator(cf, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("100")
    await desk.operator("101", skills={"sales": 9})
    await desk.queue(["100", "101"], strategy="skill_priority", skill="sales")
    replies = []
    for item in zadarma_scenario("sync_routing_ivr_dtmf_redirect"):
        response = await cf.post_pbx(item)
        assert response.status_code == 200
        replies.append(response.text)
    await cf.settle()
    start, ivr = json.loads(replies[0]), json.loads(replies[1])
    assert start == {"redirect": "101", "return_timeout": 20}
    assert ivr["redirect"] == "101"  # the same offer, not a second decision
    call = await desk.call("in_029ae6b03b3b0765d127ec0b739209346bbc4f0d52d")
    assert (call["outcome"], call["route_rule"]) == ("answered", "skill_priority")
    assert call["operator_id"] == desk.operators["101"]["id"]
    assert "ivr_input" in [t["kind"] for t in call["timeline"]]
    assert await desk.state_of("101") == "available" and await desk.state_of("100") == "available"


async def test_a_retried_notify_start_gets_the_reply_already_given(cf, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("101")
    await desk.operator("102")
    await desk.queue(["101", "102"], strategy="round_robin")
    item = notify("NOTIFY_START", "in_dup", **inbound("in_dup"))
    first, again = await cf.post_pbx(item), await cf.post_pbx(item)
    assert first.text == again.text and json.loads(first.text)["redirect"] == "101"
    assert await desk.state_of("102") == "available"


async def test_ring_all_on_zadarma_rings_one_extension_or_the_pbx_group(cf, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("101")
    await desk.operator("102")
    queue = await desk.queue(["101", "102"], strategy="ring_all")
    reply = json.loads((await cf.post_pbx(notify("NOTIFY_START", "in_ra1", **inbound("in_ra1")))).text)
    assert reply == {"redirect": "101", "return_timeout": 20}
    assert await desk.state_of("102") == "available"  # its phone would not ring: no offer is left on it
    [revoked] = await desk.offers("102", status="revoked")
    assert revoked["end_reason"] == "pbx_rings_one_extension"
    await cf.http.patch(f"/api/queues/{queue['id']}", json={"pbx_group": "0-2"}, headers=supervisor["headers"])
    await cf.post_pbx(notify("NOTIFY_END", "in_ra1", **inbound("in_ra1"), disposition="cancel", duration="0"))
    await cf.settle()
    reply = json.loads((await cf.post_pbx(notify("NOTIFY_START", "in_ra2", **inbound("in_ra2", "79001234568")))).text)
    assert reply == {"redirect": "0-2"}
    assert await desk.state_of("101") == "ringing" and await desk.state_of("102") == "ringing"


async def test_busy_and_no_answer_are_missed_cancel_is_abandoned(cf, supervisor):
    for call, disposition in (("in_b", "busy"), ("in_n", "no answer"), ("in_c", "cancel")):
        await cf.post_pbx(notify("NOTIFY_START", call, **inbound(call)))
        await cf.post_pbx(notify("NOTIFY_END", call, **inbound(call), disposition=disposition, duration="0"))
    await cf.settle()
    calls = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert {c["external_id"]: c["outcome"] for c in calls} == {
        "in_b": "missed",
        "in_n": "missed",
        "in_c": "abandoned",
    }


async def test_a_new_call_on_a_line_without_a_queue_gets_the_pbx_plan_with_the_crm_name(cf, supervisor):
    """No queue on the line: nothing to decide.  NOTIFY_START is answered with the PBX's own plan
    and the caller's name from the CRM; the call is recorded by the inbox processor like the
    other webhooks — once, however often the PBX sends it — and a redelivery hears the same."""
    contact = await cf.http.post(
        "/api/contacts",
        json={"phone": "+79001234567", "name": "Анна", "company": "Ромашка"},
        headers=supervisor["headers"],
    )
    start = notify("NOTIFY_START", "in_nq", **inbound("in_nq"))
    first, again = await cf.post_pbx(start), await cf.post_pbx(start)
    assert json.loads(first.text) == {"caller_name": "Анна (Ромашка)"} and again.text == first.text
    await cf.settle()
    assert (await cf.post_pbx(start)).text == first.text  # (its call recorded by now)
    await cf.post_pbx(notify("NOTIFY_END", "in_nq", **inbound("in_nq"), disposition="no answer", duration="0"))
    await cf.settle()
    [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert (call["outcome"], call["contact_id"], call["route_rule"]) == ("missed", contact.json()["id"], None)
    [callback] = (await cf.http.get("/api/callbacks", headers=supervisor["headers"])).json()["items"]
    assert (callback["phone"], callback["status"]) == ("+79001234567", "open")
    stored = select(InboxItem.reply, InboxItem.handled_at).where(InboxItem.dedup_key.contains("in_nq"))
    rows = await cf.db.read(lambda s: s.execute(stored).all())
    assert (first.text, True) in [(reply, handled is not None) for reply, handled in rows]


async def test_a_new_call_on_a_queue_line_is_still_decided_in_the_reply(cf, supervisor):
    """A line with a queue: the decision is made before the reply, the call recorded with it."""
    desk = Desk(cf, supervisor)
    await desk.operator("101")
    queue = await desk.queue(["101"], strategy="round_robin")
    reply = await cf.post_pbx(notify("NOTIFY_START", "in_q", **inbound("in_q")))
    assert json.loads(reply.text)["redirect"] == "101"
    calls = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]  # (nothing settled)
    assert [(c["external_id"], c["queue_id"]) for c in calls] == [("in_q", queue["id"])]


async def test_a_failed_read_is_decided_on_the_writer_instead(cf, supervisor, monkeypatch):
    """If reading whether there is anything to decide fails, the webhook is decided as any other:
    answered, its call recorded with the reply, nothing lost."""

    def broken(session, **_):
        raise RuntimeError("the reader is gone")

    monkeypatch.setattr(routed, "plan_without_queue", broken)
    reply = await cf.post_pbx(notify("NOTIFY_START", "in_r", **inbound("in_r")))
    assert (reply.status_code, reply.text) == (200, "")  # no queue: the PBX's own plan
    calls = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]  # (nothing settled)
    assert [c["external_id"] for c in calls] == ["in_r"]
