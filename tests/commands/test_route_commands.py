"""MANGO OFFICE: routing by ``commands/route`` (command mode) and observing the PBX's own groups
(observe mode); the MANGO API is a local fake speaking its wire format."""

from datetime import timedelta

import httpx
import pytest

from app.auth.models import Role
from app.commands import ratelimit
from app.commands.models import PbxCommand
from app.database import utcnow
from telephony.mango.script import InboundCall
from telephony.mango.vendor import Mango
from tests.support.app import running
from tests.support.desk import Desk, pbx_commands


@pytest.fixture
async def desk(mango_cf) -> Desk:
    return Desk(mango_cf, await mango_cf.user("sam", Role.supervisor))


async def result(cf, command_id: str, code: int = 1000) -> None:
    await cf.play_mango([("result/route", {"command_id": command_id, "result": code})])


async def test_command_mode_routes_the_waiting_call_to_the_chosen_operator(desk, mango_cf, fake_pbx):
    await desk.operator("101")
    await desk.operator("102")
    await desk.queue(["101", "102"], strategy="round_robin", mode="command")
    call = InboundCall(entry_id="cmd-1", caller="79001230001", start=1760000000)
    script = call.answered(extension="101")
    await mango_cf.play_mango(script[:1])  # the caller reaches the IVR
    assert await desk.state_of("101") == "ringing"
    assert await mango_cf.app.state.command_sender.send_due() == 1
    [(path, sent)] = fake_pbx.mango_commands
    assert path == "commands/route" and sent["to_number"] == "101"
    assert sent["call_id"] == script[0][1]["call_id"]  # the IVR leg, as MANGO wants
    await result(mango_cf, sent["command_id"])
    await mango_cf.play_mango(script[1:])
    [command] = await pbx_commands(mango_cf)
    assert (command.status, command.result) == ("succeeded", "result 1000")
    answered = await desk.call("cmd-1")
    assert (answered["outcome"], answered["route_rule"]) == ("answered", "round_robin")
    assert answered["operator_id"] == desk.operators["101"]["id"]


async def test_the_rate_limit_leaves_the_call_to_the_pbx_group(desk, mango_cf, fake_pbx):
    await desk.operator("101")
    await desk.operator("102")
    await desk.queue(["101", "102"], strategy="round_robin", mode="command")
    first = InboundCall(entry_id="rl-1", caller="79001230002", start=1760000000).answered(extension="101")
    second = InboundCall(entry_id="rl-2", caller="79001230003", start=1760000001).answered(extension="102")
    await mango_cf.play_mango(first[:1] + second[:1])
    assert await mango_cf.app.state.command_sender.send_due() == 1  # 1 route per 2 s per product
    assert len(fake_pbx.mango_commands) == 1
    statuses = [c.status for c in await pbx_commands(mango_cf)]
    assert statuses == ["sent", "refused"]
    assert await desk.state_of("102") == "available"
    [revoked] = await desk.offers("102", status="revoked")
    assert revoked["end_reason"] == "rate_limited"
    # MANGO's own group rings 102, who answers: recorded, the call is not lost.
    await mango_cf.play_mango(second[1:])
    call = await desk.call("rl-2")
    assert (call["outcome"], call["route_rule"]) == ("answered", "pbx")


async def test_two_processes_share_one_rate_budget(settings, mango_cf):
    async with running(settings) as other:
        now = utcnow()
        granted = [
            await mango_cf.db.run(
                lambda s: ratelimit.acquire(session=s, key="mango:route", interval=Mango.route_budget, now=now)
            ),
            await other.db.run(
                lambda s: ratelimit.acquire(session=s, key="mango:route", interval=Mango.route_budget, now=now)
            ),
        ]
    assert granted == [True, False]


async def test_safe_failures_are_retried_with_the_same_command_id(desk, mango_cf, fake_pbx, monkeypatch):
    await desk.operator("101")
    await desk.queue(["101"], mode="command")
    await mango_cf.play_mango(InboundCall(entry_id="rt-1", caller="79001230004", start=1760000000).answered()[:1])
    monkeypatch.setitem(
        mango_cf.app.state.command_sender.route_budgets, "mango", timedelta(0)
    )  # retries, not the budget, under test
    fake_pbx.answer_next((503, {"error": "busy"}), httpx.ConnectError("connection refused"))
    sender = mango_cf.app.state.command_sender
    await sender.send_due()
    [command] = await pbx_commands(mango_cf)
    assert (command.status, command.attempts, command.result) == ("pending", 1, "HTTP 503")
    await mango_cf.db.run(lambda s: s.execute(PbxCommand.__table__.update().values(next_attempt_at=utcnow())))
    await sender.send_due()
    await mango_cf.db.run(lambda s: s.execute(PbxCommand.__table__.update().values(next_attempt_at=utcnow())))
    await sender.send_due()
    [command] = await pbx_commands(mango_cf)
    assert (command.status, command.attempts) == ("sent", 3)
    [(_, sent)] = fake_pbx.mango_commands
    assert sent["command_id"] == command.command_id


async def test_a_refused_command_is_never_repeated_and_the_pbx_keeps_the_call(desk, mango_cf, fake_pbx):
    await desk.operator("101")
    await desk.queue(["101"], mode="command")
    await mango_cf.play_mango(InboundCall(entry_id="rf-1", caller="79001230005", start=1760000000).answered()[:1])
    fake_pbx.answer_next((200, {"result": 3101}))
    await mango_cf.app.state.command_sender.send_due()
    [command] = await pbx_commands(mango_cf)
    assert (command.status, command.attempts, command.result) == ("failed", 1, "result 3101")
    assert await desk.state_of("101") == "available"
    [revoked] = await desk.offers("101", status="revoked")
    assert revoked["end_reason"] == "pbx_refused"
    assert await mango_cf.app.state.command_sender.send_due() == 0


async def test_a_route_result_failure_hands_the_call_back(desk, mango_cf, fake_pbx):
    await desk.operator("101")
    await desk.queue(["101"], mode="command")
    await mango_cf.play_mango(InboundCall(entry_id="rr-1", caller="79001230006", start=1760000000).answered()[:1])
    await mango_cf.app.state.command_sender.send_due()
    [(_, sent)] = fake_pbx.mango_commands
    await result(mango_cf, sent["command_id"], code=4101)
    [command] = await pbx_commands(mango_cf)
    assert command.status == "failed" and await desk.state_of("101") == "available"


async def test_a_command_for_a_call_that_moved_on_is_not_sent(desk, mango_cf, fake_pbx):
    await desk.operator("101")
    await desk.queue(["101"], mode="command")
    script = InboundCall(entry_id="ob-1", caller="79001230007", start=1760000000).missed(rung=())
    await mango_cf.play_mango(script[:1])
    await mango_cf.play_mango(script[1:])  # the caller gives up before the command goes out
    await mango_cf.app.state.command_sender.send_due()
    assert fake_pbx.mango_commands == []
    [command] = await pbx_commands(mango_cf)
    assert command.status == "canceled"


async def test_observe_mode_records_what_the_pbx_did_and_flags_double_booking(desk, mango_cf, fake_pbx):
    await desk.operator("101", wrap_up_seconds=30)
    await desk.operator("102")
    await desk.queue(["101", "102"], mode="observe")
    first = InboundCall(entry_id="obs-1", caller="79001230008", start=1760000000).answered(extension="101", talk=600)
    await mango_cf.play_mango(first[:5])  # 101 answers and talks
    assert await desk.state_of("101") == "on_call" and fake_pbx.mango_commands == []
    second = InboundCall(entry_id="obs-2", caller="79001230009", start=1760000100).answered(extension="101")
    await mango_cf.play_mango(second[:4])  # the PBX rings 101 again, mid-call
    kinds = [t["kind"] for t in (await desk.call("obs-2"))["timeline"]]
    assert "operator_double_booked" in kinds
    await mango_cf.play_mango(first[5:])
    assert await desk.state_of("101") == "wrap_up"
    assert (await desk.call("obs-1"))["route_rule"] == "pbx"


async def test_observe_mode_routes_a_known_client_to_the_personal_manager(desk, mango_cf, fake_pbx):
    await desk.operator("101")
    await desk.operator("777")
    await desk.queue(["101"], mode="observe")
    await mango_cf.play_mango(InboundCall(entry_id="own-0", caller="79001230010", start=1760000000).answered())
    contact_id = (await desk.call("own-0"))["contact_id"]
    await mango_cf.http.patch(
        f"/api/contacts/{contact_id}", json={"owner_id": desk.operators["777"]["id"]}, headers=desk.sup["headers"]
    )
    await mango_cf.play_mango(InboundCall(entry_id="own-1", caller="79001230010", start=1760001000).answered()[:1])
    await mango_cf.app.state.command_sender.send_due()
    [(path, sent)] = fake_pbx.mango_commands
    assert (path, sent["to_number"]) == ("commands/route", "777")


async def test_the_ivr_leg_ending_before_the_routed_leg_appears_does_not_end_the_call(desk, mango_cf, fake_pbx):
    """MANGO ends the IVR leg first, then the routed operator's leg appears: processed one webhook
    at a time, the call must stay in its queue until the PBX says it is over."""
    await desk.operator("101")
    await desk.queue(["101"], mode="command")
    script = InboundCall(entry_id="seq-1", caller="79001230011", start=1760000000).answered(extension="101")
    await mango_cf.play_mango(script[:1])
    await mango_cf.app.state.command_sender.send_due()
    for notification in script[1:]:
        await mango_cf.play_mango([notification])
    call = await desk.call("seq-1")
    assert (call["outcome"], call["route_rule"]) == ("answered", "round_robin")
    assert "taken" in [t["kind"] for t in call["timeline"]]
