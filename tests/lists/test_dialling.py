"""Dialling a call list's contact through the PBX (MANGO's fake API): the command goes out once and
the PBX's call is linked to the attempt; a timeout leaves it ``unknown`` and nothing is dialled
twice; a refused MANGO command pauses every MANGO command; no call in time is ``dial_failed``,
which uses up no attempt; a number that cannot be dialled is ``wrong_number`` before any command."""

import asyncio

import httpx
import pytest

from app.auth.models import Role
from app.lists import scheduled as lists_scheduled
from telephony.mango import webhooks as mango
from tests.support.app import mango_scenario, running
from tests.support.desk import Desk
from tests.support.lists import ALL_DAY, next_of, result

SAMPLE_COMMAND = "cb-20250615-0001"


@pytest.fixture
async def cf(settings, fake_pbx):
    settings = settings.model_copy(update={"mango_api_url": "http://mango.fake/vpbx/", "dial_confirm_seconds": 1.0})
    async with running(settings, pbx_transport=fake_pbx.transport()) as instance:
        yield instance


async def calling_list(cf, supervisor, phones: list[str], manager: dict | None = None):
    headers = supervisor["headers"]
    anna = manager or await cf.user("anna", Role.operator, extension="101")
    pipeline = (await cf.http.get("/api/pipelines", headers=headers)).json()[0]
    body = {"name": "cold", "pipeline_id": pipeline["id"], "basis": "b2b", "hours": ALL_DAY}
    call_list = (await cf.http.post("/api/lists", json=body, headers=headers)).json()
    ids = [(await cf.http.post("/api/contacts", json={"phone": p}, headers=headers)).json()["id"] for p in phones]
    await cf.http.post(f"/api/lists/{call_list['id']}/contacts", json={"contact_ids": ids}, headers=headers)
    await cf.http.put(f"/api/lists/{call_list['id']}/members", json=[{"operator_id": anna["id"]}], headers=headers)
    return call_list, anna


async def dial(cf, attempt, operator, **params):
    return await cf.http.post(f"/api/attempts/{attempt['attempt_id']}/dial", params=params, headers=operator["headers"])


async def test_a_dial_goes_out_once_and_the_pbxs_call_is_linked(cf, fake_pbx, supervisor):
    call_list, anna = await calling_list(cf, supervisor, ["+79001234567"])
    attempt = await next_of(cf, call_list, anna)
    dialled = await dial(cf, attempt, anna)
    assert dialled.status_code == 200, dialled.text
    assert dialled.json()["dial_status"] == "requested"
    assert (await dial(cf, attempt, anna)).status_code == 409  # being placed: never twice
    await cf.app.state.command_sender.send_due()
    [(path, sent)] = fake_pbx.mango_commands
    assert (path, sent["from"], sent["to_number"]) == ("commands/callback", {"extension": "101"}, "79001234567")
    ours = dialled.json()["command_id"]
    assert sent["command_id"] == ours
    sample = [
        (i["path"].lstrip("/"), mango.load_payload(i["body"]["json"]))
        for i in mango_scenario("outbound_callback_answered")
    ]
    await cf.play_mango([(path, _with_command(payload, ours)) for path, payload in sample])
    finished = await result(cf, attempt, anna, "meeting", meeting_at="2030-01-10T10:00:00+03:00", note="office at 10")
    assert finished["dial_status"] == "connected" and finished["call_id"] is not None
    call = (await cf.http.get(f"/api/calls/{finished['call_id']}", headers=supervisor["headers"])).json()
    assert (call["direction"], call["number"], call["outcome"]) == ("outbound", "+79001234567", "answered")
    [disposition] = [t for t in call["timeline"] if t["kind"] == "disposition"]  # the note, on the call
    assert disposition["detail"]["operator_id"] == anna["id"]
    await cf.app.state.command_sender.send_due()
    assert len(fake_pbx.mango_commands) == 1


def _with_command(payload: dict, command_id: str) -> dict:
    return {key: (command_id if value == SAMPLE_COMMAND else value) for key, value in payload.items()}


async def test_a_timeout_is_unknown_and_nothing_is_dialled_twice(cf, fake_pbx, supervisor):
    call_list, anna = await calling_list(cf, supervisor, ["+79001234567"])
    attempt = await next_of(cf, call_list, anna)
    await dial(cf, attempt, anna)
    fake_pbx.answer_next(httpx.ReadTimeout("no answer"))  # it may have dialled
    await cf.app.state.command_sender.send_due()
    await asyncio.sleep(0.01)
    await cf.app.state.command_sender.send_due()
    shown = await next_of(cf, call_list, anna)
    again = await dial(cf, shown, anna)
    assert again.status_code == 409 and "unknown" in again.json()["detail"]  # the manager decides
    assert fake_pbx.mango_commands == []  # (the timed-out request reached the fake as an error only)
    assert (await dial(cf, shown, anna, again="true")).status_code == 200
    await cf.app.state.command_sender.send_due()
    assert len(fake_pbx.mango_commands) == 1


async def test_a_refused_mango_command_pauses_mango_and_the_dial_fails(cf, fake_pbx, supervisor):
    call_list, anna = await calling_list(cf, supervisor, ["+79001234567", "+79001234568"])
    attempt = await next_of(cf, call_list, anna)
    await dial(cf, attempt, anna)
    fake_pbx.answer_next((200, {"result": 3102}))  # a 3xxx: MANGO counts it against the key
    await cf.app.state.command_sender.send_due()
    second = await next_of(cf, call_list, anna)
    assert second["attempt_id"] != attempt["attempt_id"]  # the refused one ended: dial_failed
    await dial(cf, second, anna)
    assert await cf.app.state.command_sender.send_due() == 0  # MANGO's commands wait two minutes
    assert fake_pbx.mango_commands == []


async def test_no_call_in_time_is_dial_failed_and_uses_no_attempt(cf, fake_pbx, supervisor):
    call_list, anna = await calling_list(cf, supervisor, ["+79001234567"])
    attempt = await next_of(cf, call_list, anna)
    await dial(cf, attempt, anna)
    await cf.app.state.command_sender.send_due()
    await asyncio.sleep(1.1)  # DIAL_CONFIRM_SECONDS is 1 here
    assert await lists_scheduled.expire_dials(db=cf.db, settings=cf.app.state.settings) == 1
    again = await next_of(cf, call_list, anna)
    assert again["contact"]["phone"] == "+79001234567" and again["attempts_before"] == 0
    assert again["attempt_id"] != attempt["attempt_id"]


async def test_a_number_that_cannot_be_dialled_is_a_wrong_number_before_any_command(cf, fake_pbx, supervisor):
    call_list, anna = await calling_list(cf, supervisor, ["+70001234567"])
    attempt = await next_of(cf, call_list, anna)
    dialled = await dial(cf, attempt, anna)
    assert (dialled.json()["status"], dialled.json()["result"]) == ("done", "wrong_number")
    await cf.app.state.command_sender.send_due()
    assert fake_pbx.mango_commands == [] and await next_of(cf, call_list, anna) is None


async def test_no_inbound_offer_reaches_a_manager_mid_dial(cf, fake_pbx, supervisor):
    desk = Desk(cf, supervisor)
    anna = await desk.operator("101")
    await desk.operator("102")
    await desk.queue(["101", "102"], strategy="round_robin")
    call_list, _ = await calling_list(cf, supervisor, ["+79001234567"], manager=anna)
    attempt = await next_of(cf, call_list, anna)
    await dial(cf, attempt, anna)
    assert await desk.state_of("101") == "dialing"
    for n in range(3):  # inbound calls while her phone is about to ring: all to her colleague
        await desk.incoming(f"in-{n}")
        assert await desk.offers("101") == []
        [offer] = await desk.offers("102")
        await desk.reject("102", offer["id"])
    await cf.app.state.command_sender.send_due()
    await asyncio.sleep(1.1)
    await lists_scheduled.expire_dials(db=cf.db, settings=cf.app.state.settings)  # no call came: dial_failed
    assert await desk.state_of("101") == "available"


async def test_a_refusal_on_the_result_webhook_pauses_mango_too(cf, fake_pbx, supervisor):
    call_list, anna = await calling_list(cf, supervisor, ["+79001234567", "+79001234568"])
    attempt = await next_of(cf, call_list, anna)
    dialled = await dial(cf, attempt, anna)
    await cf.app.state.command_sender.send_due()  # MANGO took the request (result 1000) ...
    refused = {"command_id": dialled.json()["command_id"], "result": 3102}
    await cf.play_mango([("result/callback", refused)])  # ... and refused it afterwards
    second = await next_of(cf, call_list, anna)
    assert second["attempt_id"] != attempt["attempt_id"]  # the refused dial failed
    await dial(cf, second, anna)
    assert await cf.app.state.command_sender.send_due() == 0  # MANGO's commands wait two minutes
    assert len(fake_pbx.mango_commands) == 1
