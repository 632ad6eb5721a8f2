"""The operator's panel over a real websocket on a live server: offers with the caller's card,
the ring-all race, revocations, presence, and what happens to bad tokens and bad frames."""

import asyncio
import json
from datetime import timedelta

import pytest
from websockets.exceptions import ConnectionClosed

from app.database import utcnow
from app.realtime import presence
from app.realtime.scheduled import tick
from schemas.realtime import OperatorServerFrame
from tests.realtime.live import Client, _token


async def test_offer_reaches_the_panel_with_the_callers_crm_card(live, desk):
    op = await desk.operator("101", state="offline")
    owner = await desk.operator("102", state="offline")
    await desk.queue(["101"], strategy="ring_all")
    panel = await live.panel(op["headers"])
    snapshot = await panel.next("snapshot")
    OperatorServerFrame.validate_python(snapshot)
    assert snapshot["operator"]["state"] == "offline" and snapshot["offer"] is None
    assert (await panel.request("set_state", state="available"))["type"] == "ack"
    # The caller called before and nobody answered: a known client with a missed call on the list.
    await desk.incoming("earlier", caller="+79001112233")
    await desk.pbx("ended", "earlier", reason="caller_hung_up")
    await live.cf.settle()
    contact = await live.cf.http.get("/api/contacts", params={"phone": "+79001112233"}, headers=desk.sup["headers"])
    contact_id = contact.json()["items"][0]["id"]
    patched = await live.cf.http.patch(
        f"/api/contacts/{contact_id}", json={"owner_id": owner["id"], "vip": True}, headers=desk.sup["headers"]
    )
    assert patched.status_code == 200, patched.text
    deal = await live.cf.http.post(
        "/api/deals", json={"contact_id": contact_id, "stage_id": 2}, headers=desk.operators["102"]["headers"]
    )
    assert deal.status_code == 201, deal.text
    await panel.quiet()

    route = await desk.incoming("now", caller="8 900 111-22-33")
    offer = await panel.next("offer")
    OperatorServerFrame.validate_python(offer)
    assert offer["offer_id"] == route["targets"][0]["offer_id"] and offer["rule"] == "ring_all"
    assert offer["queue"]["name"] == "sales" and offer["waited_seconds"] >= 0 and offer["seq"] > snapshot["seq"]
    card = offer["card"]
    assert card["number"] == "+79001112233"
    assert card["contact"]["vip"] is True and card["contact"]["owner"] == {"id": owner["id"], "name": "op102"}
    assert [(c["outcome"], c["direction"]) for c in card["recent_calls"]] == [("abandoned", "inbound")]
    assert [cb["reason"] for cb in card["open_callbacks"]] == ["abandoned"]
    assert (card["deal"]["stage"], card["deal"]["pipeline"]) == ("presentation", "sales")
    assert (card["deal"]["id"], card["deal"]["stage_id"]) == (deal.json()["id"], 2)  # what a disposition moves
    assert card["deal"]["pipeline_id"] == deal.json()["pipeline_id"]
    assert (await panel.next("state"))["state"] == "ringing"

    assert (await panel.request("accept", offer_id=offer["offer_id"]))["result"]["status"] == "accepted"
    update = await panel.next("call_update")
    assert update["status"] == "connected" and update["call_id"] == offer["call_id"]
    assert (await panel.next("state"))["state"] == "on_call"
    await panel.close()


async def test_ring_all_race_over_sockets_has_exactly_one_winner(live, desk):
    ops = [await desk.operator(ext, state="offline") for ext in ("101", "102", "103")]
    await desk.queue(["101", "102", "103"], strategy="ring_all")
    panels = [await live.panel(op["headers"]) for op in ops]
    for panel in panels:
        await panel.next("snapshot")
        assert (await panel.request("set_state", state="available"))["type"] == "ack"
    await desk.incoming("race")
    offers = [await panel.next("offer") for panel in panels]
    answers = await asyncio.gather(
        *(panel.request("accept", offer_id=offer["offer_id"]) for panel, offer in zip(panels, offers, strict=True))
    )
    assert sorted(a["type"] for a in answers) == ["ack", "error", "error"]
    winner = next(i for i, a in enumerate(answers) if a["type"] == "ack")
    for i, (panel, answer) in enumerate(zip(panels, answers, strict=True)):
        if i == winner:
            assert (await panel.next("call_update"))["status"] == "connected"
        else:
            assert answer["code"] == "conflict"
            assert (await panel.next("offer_revoked"))["reason"] == "taken_by_other"
    assert await desk.state_of(["101", "102", "103"][winner]) == "on_call"


async def test_caller_hanging_up_revokes_the_offer(live, desk):
    op = await desk.operator("101")
    await desk.queue(["101"], strategy="round_robin")
    panel = await live.panel(op["headers"])
    await panel.next("snapshot")
    await desk.incoming("gone")
    offer = await panel.next("offer")
    await desk.hang_up("gone", reason="caller_hung_up")
    revoked = await panel.next("offer_revoked")
    assert revoked["offer_id"] == offer["offer_id"] and revoked["reason"] == "caller_hung_up"
    assert (await panel.next("state"))["state"] == "available"
    error = await panel.request("accept", offer_id=offer["offer_id"])
    assert error["type"] == "error" and error["code"] == "conflict"


async def test_two_panels_of_one_operator_both_get_the_offer(live, desk):
    op = await desk.operator("101")
    await desk.queue(["101"])
    first, second = await live.panel(op["headers"]), await live.panel(op["headers"])
    await first.next("snapshot")
    await second.next("snapshot")
    await desk.incoming("both")
    a, b = await first.next("offer"), await second.next("offer")
    assert a["offer_id"] == b["offer_id"]
    await first.close()  # one panel left: still present, the offer still rings
    assert [o["id"] for o in await desk.offers("101")] == [a["offer_id"]]


async def test_a_dead_panel_loses_its_ringing_offer_and_goes_offline_after_the_grace_period(live, desk):
    a, b = await desk.operator("101"), await desk.operator("102")
    await desk.queue(["101", "102"], strategy="round_robin")
    panel_a, panel_b = await live.panel(a["headers"]), await live.panel(b["headers"])
    await panel_a.next("snapshot")
    await panel_b.next("snapshot")
    route = await desk.incoming("c1")
    assert route["targets"][0]["extension"] == "101"
    await panel_a.next("offer")
    panel_a.drop()
    handed_on = await panel_b.next("offer")  # 101's panel vanished while ringing: the call moves on
    assert handed_on["call_id"] == (await desk.call("c1"))["id"]
    [revoked] = await desk.offers("101", status="revoked")
    assert revoked["end_reason"] == "panel_lost"
    assert await desk.state_of("101") == "available"  # within the grace period: not logged out yet
    await desk.hang_up("c1", reason="caller_hung_up")

    await desk.incoming("c2", caller="+79005556677")  # a dead panel is never offered a call
    assert await desk.offers("101") == []
    await desk.hang_up("c2", reason="caller_hung_up")
    done = await _later(live, seconds=31)
    assert done["operators_logged_out"] == 1
    assert await desk.state_of("101") == "offline" and await desk.state_of("102") == "available"


async def test_a_panel_reopened_within_the_grace_period_keeps_the_operator_working(live, desk):
    op = await desk.operator("101")
    await desk.queue(["101"])
    panel = await live.panel(op["headers"])
    await panel.next("snapshot")
    await panel.close()
    panel = await live.panel(op["headers"])
    snapshot = await panel.next("snapshot")
    assert snapshot["operator"]["state"] == "available" and snapshot["operator"]["panel_connected"] is True
    await _later(live, seconds=31)
    assert await desk.state_of("101") == "available"
    await desk.incoming("back")
    assert (await panel.next("offer"))["rule"] == "round_robin"


async def test_a_panel_that_only_says_the_server_restarts_is_swept_after_the_grace_period(live, desk):
    """A restart keeps the ringing offer (tests/realtime/test_restart.py); a client closing with
    1012 itself while the server runs on gets no more than that: after the grace period it is gone."""
    op = await desk.operator("101")
    await desk.queue(["101"])
    panel = await live.panel(op["headers"])
    await panel.next("snapshot")
    route = await desk.incoming("c1")
    offer = await panel.next("offer")
    assert offer["offer_id"] == route["targets"][0]["offer_id"]
    await panel.connection.close(code=1012)
    await asyncio.sleep(0.2)
    assert [o["id"] for o in await desk.offers("101")] == [offer["offer_id"]]  # within the grace period
    await _later(live, seconds=31)
    [revoked] = await desk.offers("101", status="revoked")
    assert revoked["end_reason"] == "panel_lost"


async def test_bad_tokens_are_refused_with_4401_and_wrong_roles_with_4403(live, desk):
    op = await desk.operator("101")
    for url in (f"{live.ws_base}/ws/operator", f"{live.ws_base}/ws/operator?token=nope"):
        assert await _close_code(url) == 4401
    sup_token = desk.sup["headers"]["Authorization"].removeprefix("Bearer ")
    op_token = op["headers"]["Authorization"].removeprefix("Bearer ")
    assert await _close_code(f"{live.ws_base}/ws/operator?token={sup_token}") == 4403
    assert await _close_code(f"{live.ws_base}/ws/supervisor?token={op_token}") == 4403
    assert await _close_code(f"{live.ws_base}/ws/supervisor?token=nope") == 4401


async def test_bad_frames_get_an_error_and_change_nothing(live, desk, settings):
    op = await desk.operator("101")
    await desk.operator("102")
    await desk.queue(["102"])
    await desk.incoming("theirs")
    [their_offer] = await desk.offers("102")
    panel = await live.panel(op["headers"])
    await panel.next("snapshot")

    await panel.connection.send("not json")
    assert (await panel.next("error"))["code"] == "invalid_frame"
    await panel.connection.send(json.dumps([1, 2]))
    assert (await panel.next("error"))["code"] == "invalid_frame"
    assert (await panel.request("dance"))["code"] == "unknown_type"
    missing = await panel.request("accept")
    assert missing["code"] == "invalid_frame" and "offer_id" in missing["reason"]
    assert (await panel.request("set_state", state="on_call"))["code"] == "invalid_frame"
    stolen = await panel.request("accept", offer_id=their_offer["id"])
    assert stolen["code"] == "forbidden"
    await panel.connection.send(json.dumps({"type": "ping", "id": "x" * 10, "pad": "y" * settings.ws_max_frame_bytes}))
    assert (await panel.next("error"))["code"] == "too_large"
    assert (await panel.request("wrap_up_done"))["code"] == "conflict"
    assert (await panel.request("disposition", call_id=(await desk.call("theirs"))["id"], note="x"))[
        "code"
    ] == "forbidden"
    # The socket is still open and nothing changed.
    assert (await panel.request("ping"))["type"] == "pong"
    assert [o["id"] for o in await desk.offers("102")] == [their_offer["id"]]
    assert await desk.state_of("101") == "available" and await desk.state_of("102") == "ringing"


async def test_a_flood_of_frames_is_rate_limited_without_closing_the_socket(live, desk, settings):
    op = await desk.operator("101")
    panel = await live.panel(op["headers"])
    await panel.next("snapshot")
    burst = settings.ws_message_burst + 10
    for n in range(burst):
        await panel.connection.send(json.dumps({"type": "ping", "v": 1, "id": f"p{n}"}))
    answers = [await panel.next(timeout=5) for _ in range(burst)]
    kinds = [a["type"] for a in answers]
    assert kinds.count("pong") >= settings.ws_message_burst and "error" in kinds
    assert {a["code"] for a in answers if a["type"] == "error"} == {"rate_limited"}
    await asyncio.sleep(0.3)
    assert (await panel.request("ping"))["type"] == "pong"


async def test_disposition_after_the_call_lands_on_its_timeline(live, desk):
    op = await desk.operator("101")
    await desk.queue(["101"])
    panel = await live.panel(op["headers"])
    await panel.next("snapshot")
    await desk.incoming("sold")
    offer = await panel.next("offer")
    await desk.answer("sold", "101")
    await desk.hang_up("sold")
    assert (await panel.next("call_update"))["status"] == "connected"
    assert (await panel.next("call_update"))["status"] == "ended"
    ack = await panel.request(
        "disposition",
        call_id=offer["call_id"],
        note="wants 20 seats",
        next_step="send the offer",
        next_step_at="2026-12-03T10:00:00+03:00",
    )
    assert ack["type"] == "ack"
    call = await desk.call("sold")
    [noted] = [t for t in call["timeline"] if t["kind"] == "disposition"]
    assert noted["detail"]["next_step"] == "send the offer"


async def _later(live, *, seconds: float) -> dict:
    """``seconds`` pass: the process keeps its open panels fresh, then the realtime tick runs."""
    moment = utcnow() + timedelta(seconds=seconds)
    process_id = live.cf.app.state.process_id
    await live.cf.db.run(lambda s: presence.refresh(session=s, process_id=process_id, now=moment))
    return await live.cf.db.run(lambda s: tick(s, grace=timedelta(seconds=30), now=moment))


async def _close_code(url: str) -> int:
    from websockets.asyncio.client import connect

    async with connect(url) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    return closed.value.rcvd.code


async def test_the_panel_follows_the_call_on_and_off_hold(live, desk):
    op = await desk.operator("101")
    await desk.queue(["101"])
    panel = await live.panel(op["headers"])
    await panel.next("snapshot")
    await desk.incoming("held")
    await panel.next("offer")
    await desk.answer("held", "101")
    for event in ("hold", "hold", "unhold"):  # (the repeated hold changes nothing)
        await desk.pbx(event, "held", extension="101")
        await live.cf.settle()
    await desk.hang_up("held")
    updates = [await panel.next("call_update") for _ in range(4)]
    assert [u["status"] for u in updates] == ["connected", "held", "talking", "ended"]
    assert updates[-1]["outcome"] in (None, "answered")


async def test_a_panel_that_reconnects_with_since_misses_nothing_and_gets_nothing_twice(live, desk):
    op = await desk.operator("101")
    await desk.queue(["101"])
    keeper = await live.panel(op["headers"])  # keeps the operator present while the other one drops
    await keeper.next("snapshot")
    dropped = await live.panel(op["headers"])
    seq = (await dropped.next("snapshot"))["seq"]
    await dropped.close()
    await desk.incoming("while-away")
    offer = await keeper.next("offer")
    resumed = await Client.open(f"{live.ws_base}/ws/operator?token={_token(op['headers'])}&since={seq}")
    missed = []
    while not missed or missed[-1]["type"] != "offer":
        missed.append(await resumed.next())
    assert "snapshot" not in [f["type"] for f in missed]
    assert [f["seq"] for f in missed] == sorted({f["seq"] for f in missed}) and missed[0]["seq"] > seq
    assert missed[-1]["offer_id"] == offer["offer_id"] and missed[-1]["card"]["number"] == "+79001112233"
    await desk.hang_up("while-away", reason="caller_hung_up")
    revoked = await resumed.next("offer_revoked")
    assert revoked["offer_id"] == offer["offer_id"]
    assert [f["seq"] for f in resumed.received].count(revoked["seq"]) == 1
    unknown = await Client.open(f"{live.ws_base}/ws/operator?token={_token(op['headers'])}&since=yesterday")
    snapshot = await unknown.next()
    assert (snapshot["type"], snapshot["reset"]) == ("snapshot", True)
    for client in (keeper, resumed, unknown):
        await client.close()
