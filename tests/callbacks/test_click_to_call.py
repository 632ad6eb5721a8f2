"""Click-to-call from the callback list: the PBX rings the operator, then the client; the fake
PBX APIs speak MANGO's and Zadarma's wire formats."""

import asyncio

import pytest

from app.auth.models import Role
from telephony.mango import webhooks as mango
from telephony.mango.script import InboundCall
from tests.support.app import mango_scenario, running
from tests.support.desk import Desk, pbx_commands
from tests.support.pbx_api import ZADARMA_KEY
from tests.support.zadarma import inbound, notify


@pytest.fixture
async def zadarma_cf(settings, fake_pbx):
    only_zadarma = {"mango_api_key": "", "zadarma_api_key": ZADARMA_KEY, "zadarma_api_url": "http://zadarma.fake"}
    async with running(settings.model_copy(update=only_zadarma), pbx_transport=fake_pbx.transport()) as instance:
        yield instance


async def test_mango_click_to_call_dials_and_the_answered_call_closes_the_callback(mango_cf, fake_pbx):
    desk = Desk(mango_cf, await mango_cf.user("sam", Role.supervisor))
    operator = await desk.operator("101")
    await mango_cf.play_mango(InboundCall(entry_id="c2c-0", caller="79001234567", start=1749990000).missed(rung=()))
    [callback] = (await mango_cf.http.get("/api/callbacks", headers=desk.sup["headers"])).json()["items"]
    response = await mango_cf.http.post(f"/api/callbacks/{callback['id']}/dial", headers=operator["headers"])
    assert response.status_code == 200, response.text
    assert response.json()["callback"]["status"] == "in_progress"
    await mango_cf.app.state.command_sender.send_due()
    [(path, sent)] = fake_pbx.mango_commands
    assert path == "commands/callback"
    assert (sent["from"], sent["to_number"]) == ({"extension": "101"}, "79001234567")
    sample = mango_scenario("outbound_callback_answered")
    outbound = [(item["path"].lstrip("/"), mango.load_payload(item["body"]["json"])) for item in sample]
    outbound[0] = ("result/callback", {"command_id": sent["command_id"], "result": 1000})
    await mango_cf.play_mango(outbound)
    closed = (await mango_cf.http.get(f"/api/callbacks/{callback['id']}", headers=desk.sup["headers"])).json()
    assert closed["status"] == "done"
    [command] = await pbx_commands(mango_cf)
    assert command.status == "succeeded"
    assert await desk.state_of("101") == "available"  # busy while dialling out, free after


async def test_zadarma_click_to_call(zadarma_cf, fake_pbx):
    desk = Desk(zadarma_cf, await zadarma_cf.user("sam", Role.supervisor))
    operator = await desk.operator("101")
    for event, fields in (("NOTIFY_START", {}), ("NOTIFY_END", {"disposition": "no answer", "duration": "0"})):
        assert (await zadarma_cf.post_pbx(notify(event, "in_z0", **inbound("in_z0"), **fields))).status_code == 200
    await zadarma_cf.settle()
    [callback] = (await zadarma_cf.http.get("/api/callbacks", headers=desk.sup["headers"])).json()["items"]
    response = await zadarma_cf.http.post(f"/api/callbacks/{callback['id']}/dial", headers=operator["headers"])
    assert response.status_code == 200, response.text
    await zadarma_cf.app.state.command_sender.send_due()
    assert fake_pbx.zadarma_requests == [("request/callback/", {"from": "101", "to": "79001234567"})]
    [command] = await pbx_commands(zadarma_cf)
    assert command.status == "succeeded"
    out = {"internal": "101", "destination": "79001234567"}
    for event, fields in (
        ("NOTIFY_OUT_START", {}),
        ("NOTIFY_ANSWER", {"caller_id": "74951234567"}),
        ("NOTIFY_OUT_END", {"caller_id": "74951234567", "disposition": "answered", "duration": "40"}),
    ):
        item = notify(event, "out_z1", **out, **fields)
        assert (await zadarma_cf.post_pbx(item)).status_code == 200
    await zadarma_cf.settle()
    closed = (await zadarma_cf.http.get(f"/api/callbacks/{callback['id']}", headers=desk.sup["headers"])).json()
    assert closed["status"] == "done"


async def test_click_to_call_without_an_extension_or_a_pbx_api_is_refused(cf, supervisor):
    response = await cf.http.post("/api/callbacks/1/dial", headers=supervisor["headers"])
    assert response.status_code == 409 and "extension" in response.json()["detail"]


async def test_zadarma_click_to_calls_wait_for_its_api_budget(zadarma_cf, fake_pbx):
    """Zadarma allows 100 API requests a minute, recordings and click-to-call together: a dial over
    the budget waits for its next free moment instead of failing."""
    desk = Desk(zadarma_cf, await zadarma_cf.user("sam", Role.supervisor))
    operators = [await desk.operator("101"), await desk.operator("102")]
    for n, number in enumerate(("79001234567", "79001234568")):
        call = f"in_b{n}"
        for event, fields in (("NOTIFY_START", {}), ("NOTIFY_END", {"disposition": "no answer", "duration": "0"})):
            item = notify(event, call, **inbound(call, caller=number), **fields)
            assert (await zadarma_cf.post_pbx(item)).status_code == 200
    await zadarma_cf.settle()
    callbacks = (await zadarma_cf.http.get("/api/callbacks", headers=desk.sup["headers"])).json()["items"]
    for callback, operator in zip(callbacks, operators, strict=True):
        response = await zadarma_cf.http.post(f"/api/callbacks/{callback['id']}/dial", headers=operator["headers"])
        assert response.status_code == 200, response.text
    sender = zadarma_cf.app.state.command_sender
    assert await sender.send_due() == 1 and len(fake_pbx.zadarma_requests) == 1
    assert await sender.send_due() == 0  # over the budget: it waits, nothing failed
    await asyncio.sleep(0.7)
    assert await sender.send_due() == 1 and len(fake_pbx.zadarma_requests) == 2
    assert {command.status for command in await pbx_commands(zadarma_cf)} == {"succeeded"}
