"""The generic signed JSON protocol, end to end."""

import json

from app.auth.models import Role
from tests.support.generic import call_events, send


async def test_answered_call(cf, supervisor):
    operator = await cf.user("olga", Role.operator, extension="101")
    for event in call_events("g-1", "8 (912) 345-67-89", answered_by="101"):
        assert (await send(cf, event)).status_code == 200
    await cf.settle()
    [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert (call["vendor"], call["external_id"], call["direction"], call["outcome"]) == (
        "generic",
        "g-1",
        "inbound",
        "answered",
    )
    assert call["number"] == "+79123456789" and call["operator_id"] == operator["id"]
    assert call["answered_at"] == "2025-10-09T08:53:27Z"


async def test_missed_call_reordered_goes_on_the_callback_list(cf, supervisor):
    for event in reversed(call_events("g-2", "+7 912 345 67 89", answered_by=None)):
        assert (await send(cf, event)).status_code == 200
    await cf.settle()
    [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert (call["outcome"], call["end_reason"], call["ended_in"]) == ("missed", "queue_timeout", "ringing")
    [callback] = (await cf.http.get("/api/callbacks?status=open", headers=supervisor["headers"])).json()["items"]
    assert callback["phone"] == "+79123456789" and callback["reason"] == "queue_timeout"


async def test_hidden_number_is_recorded_but_not_on_the_working_list(cf, supervisor):
    for event in call_events("g-3", "anonymous", answered_by=None):
        await send(cf, event)
    await cf.settle()
    [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert (call["outcome"], call["number"], call["number_raw"], call["contact_id"]) == (
        "missed",
        "anonymous",
        "anonymous",
        None,
    )
    assert (await cf.http.get("/api/calls", params={"number": "anonymous"}, headers=supervisor["headers"])).json()[
        "total"
    ] == 1
    assert (await cf.http.get("/api/callbacks?status=open", headers=supervisor["headers"])).json()["total"] == 0
    [closed] = (await cf.http.get("/api/callbacks?status=canceled", headers=supervisor["headers"])).json()["items"]
    assert closed["reason"] == "no_caller_id" and closed["phone_raw"] == "anonymous"
    assert call["callback_id"] == closed["id"]


async def test_signature_and_content_are_checked(cf):
    event = call_events("g-4", "+79123456789", answered_by=None)[0]
    assert (await send(cf, event, secret="wrong")).status_code == 401
    assert (await cf.http.post("/pbx/generic/events", content=json.dumps(event))).status_code == 400
    response = await send(cf, {**event, "event": "teleport"})
    assert response.status_code == 422 and "unknown event" in response.json()["detail"]
    response = await send(cf, {"event": "answered", "call_id": "g-4"})
    assert response.status_code == 422 and "extension" in response.json()["detail"]


async def test_event_id_makes_redelivery_a_no_op(cf):
    event = {**call_events("g-5", "+79123456789", answered_by=None)[0], "event_id": "evt-1"}
    assert (await send(cf, event)).json()["status"] == "accepted"
    assert (await send(cf, {**event, "timestamp": 1760000099})).json()["status"] == "duplicate"


async def test_outbound_call_that_reaches_the_client_closes_its_callback(cf, supervisor):
    for event in call_events("g-6", "+79123456789", answered_by=None):
        await send(cf, event)
    await cf.settle()  # the miss is on the list before the call back happens
    t = 1760000600
    for event in [
        {"event": "outgoing", "call_id": "g-7", "to": "89123456789", "extension": "101", "timestamp": t, "seq": 1},
        {"event": "answered", "call_id": "g-7", "extension": "101", "timestamp": t + 9, "seq": 2},
        {"event": "ended", "call_id": "g-7", "reason": "callee_hung_up", "timestamp": t + 90, "seq": 3},
    ]:
        assert (await send(cf, event)).status_code == 200
    await cf.settle()
    calls = (await cf.http.get("/api/calls", params={"direction": "outbound"}, headers=supervisor["headers"])).json()
    [outbound] = calls["items"]
    assert (outbound["outcome"], outbound["number"], outbound["operator_extension"]) == (
        "answered",
        "+79123456789",
        "101",
    )
    assert (await cf.http.get("/api/callbacks?status=open", headers=supervisor["headers"])).json()["total"] == 0
    [done] = (await cf.http.get("/api/callbacks?status=done", headers=supervisor["headers"])).json()["items"]
    assert done["resolved_call_id"] == outbound["id"]
