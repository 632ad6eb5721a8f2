"""UIS end to end: the scenario step asks whom to ring and gets a phone or a branch code,
retries get the answer already given, and the notifications land on the same call."""

import copy

from app.auth.models import Role
from tests.support.app import UIS_SECRET, scenario
from tests.support.desk import Desk
from tests.support.inbox import inbox_rows
from tests.support.url_key import play, send

WAIT, FALLBACK = {"returned_code": 1}, {"returned_code": 2}


def step(cdr_id: str = "3051000001", caller: str = "79001234567", **fields) -> dict:
    [route, *_] = scenario("uis", "inbound_answered")
    item = copy.deepcopy(route)
    item["query"] |= {"cdr_id": cdr_id, "numa": caller, **fields}
    return item


async def calls(cf, supervisor) -> list[dict]:
    return (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]


async def test_the_sample_call_rings_the_chosen_operator_and_is_one_answered_call(cf, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("101")
    await desk.queue(["101"])
    responses = await play(cf, scenario("uis", "inbound_answered"))
    assert responses[0].json() == {"phones": ["101"]}
    assert [r.status_code for r in responses] == [200] * 4
    [call] = await calls(cf, supervisor)
    assert (call["vendor"], call["external_id"], call["outcome"]) == ("uis", "3051000001", "answered")
    assert (call["operator_id"], call["route_rule"]) == (desk.operators["101"]["id"], "round_robin")


async def test_a_retried_step_gets_the_same_answer_and_a_later_step_a_new_one(cf, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("101")
    await desk.queue(["101"])
    first = await send(cf, step())
    again = await send(cf, step())
    assert first.json() == again.json() == {"phones": ["101"]}
    [offer] = await desk.offers("101")
    assert (await desk.reject("101", offer["id"])).status_code == 200
    await desk.set_state("101", "break")
    later = await send(cf, step(input_result="1"))  # the caller came back round the wait branch
    assert later.json() == WAIT  # a new decision: 101 turned it down and is on a break
    assert len(await inbox_rows(cf)) == 2


async def test_nobody_free_is_the_wait_branch_and_a_closed_queue_the_fallback(cf, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("101", state="break")
    await desk.queue(["101"])
    assert (await send(cf, step("w-1"))).json() == WAIT
    await desk.set_state("101", "offline")
    assert (await send(cf, step("w-2", caller="79001234560"))).json() == FALLBACK  # nobody logged in


async def test_notifications_under_another_id_join_the_call_by_caller_and_start(cf, supervisor):
    """The step's ``cdr_id`` and the notifications' ``call_session_id`` may differ."""
    desk = Desk(cf, supervisor)
    await desk.operator("101")
    await desk.queue(["101"])
    route, *notifications = scenario("uis", "inbound_answered")
    for item in notifications:
        item["body"]["call_session_id"] = "S-77"
    await play(cf, [route, *notifications])
    [call] = await calls(cf, supervisor)
    assert (call["external_id"], call["outcome"], call["operator_extension"]) == ("3051000001", "answered", "101")
    other = copy.deepcopy(notifications[0])
    other["body"] |= {"call_session_id": "S-78", "calling_phone_number": "79005550000"}
    await play(cf, [other])  # another caller at the same moment is another call
    assert len(await calls(cf, supervisor)) == 2


async def test_refusals_store_nothing_and_the_key_is_never_kept(cf, settings):
    assert (await send(cf, step(), key="guess")).status_code == 401
    assert (await cf.http.get("/pbx/uis/route", params=step()["query"])).status_code == 401
    assert await inbox_rows(cf) == []
    await cf.user("olga", Role.operator, extension="101")
    await play(cf, scenario("uis", "inbound_answered"))
    assert all(UIS_SECRET not in row.raw_body for row in await inbox_rows(cf))
    bad = await cf.http.post("/pbx/uis/events", params={"key": UIS_SECRET}, json={"event": "hold"})
    assert bad.status_code == 422 and "kept as inbox item" in bad.json()["detail"]
