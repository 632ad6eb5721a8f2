"""Sipuni's event feed end to end: the key in the URL, the answer Sipuni insists on, the calls
and callbacks its samples leave, and what a PBX that takes no routing answer means for a queue."""

import logging
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Role
from app.database import utcnow
from app.flows.call_events import CallPolicy
from app.flows.scheduled import finalize_stale_calls
from app.inbox.models import InboxItem
from app.settings import Settings
from tests.support.app import SIPUNI_SECRET, running, scenario
from tests.support.desk import Desk
from tests.support.inbox import inbox_rows
from tests.support.url_key import play, send

SUCCESS = {"success": True}


async def calls(cf, supervisor) -> dict[str, dict]:
    items = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    return {call["external_id"]: call for call in items}


async def test_a_wrong_or_missing_key_is_401_and_stores_nothing(cf):
    [ring, *_] = scenario("sipuni", "inbound_answered")
    assert (await send(cf, ring, key="guess")).status_code == 401
    response = await cf.http.get("/pbx/sipuni", params=ring["query"])
    assert response.status_code == 401 and response.json()["detail"] == "wrong or missing key"
    assert await inbox_rows(cf) == []


async def test_the_ping_and_unreadable_events_are_answered_success(cf):
    ping = await cf.http.get("/pbx/sipuni", params={"key": SIPUNI_SECRET})
    assert (ping.status_code, ping.json()) == (200, SUCCESS)
    assert await inbox_rows(cf) == []  # a ping carries no call
    odd = await cf.http.post("/pbx/sipuni", params={"key": SIPUNI_SECRET}, data={"event": "7", "call_id": "x"})
    assert (odd.status_code, odd.json()) == (200, SUCCESS)  # anything else can get the feed suspended
    [row] = await inbox_rows(cf)
    assert "unknown event" in row.error and "key" not in row.raw_body


async def test_an_answered_inbound_call_is_one_call_with_the_operator(cf, supervisor, caplog):
    operator = await cf.user("olga", Role.operator, extension="201")
    caplog.set_level(logging.INFO)
    responses = await play(cf, scenario("sipuni", "inbound_answered"))
    assert [(r.status_code, r.json()) for r in responses] == [(200, SUCCESS)] * 4
    call = (await calls(cf, supervisor))["1750000000.100001"]
    assert (call["vendor"], call["direction"], call["outcome"]) == ("sipuni", "inbound", "answered")
    assert (call["operator_id"], call["number"], call["line_number"]) == (operator["id"], "+79001234567", "74951234567")
    assert call["answered_at"] == "2025-06-15T15:06:48Z"
    rows = await inbox_rows(cf)
    assert len(rows) == 3  # the repeated ring a second later is the same event
    assert all(SIPUNI_SECRET not in row.raw_body for row in rows)
    assert SIPUNI_SECRET not in caplog.text


async def test_a_missed_inbound_call_goes_on_the_callback_list(cf, supervisor):
    await play(cf, scenario("sipuni", "inbound_missed"))
    call = (await calls(cf, supervisor))["1750000100.100002"]
    assert (call["outcome"], call["end_reason"], call["number"]) == ("missed", "no_answer", "+79001234568")
    [callback] = (await cf.http.get("/api/callbacks", headers=supervisor["headers"])).json()["items"]
    assert (callback["phone"], callback["status"]) == ("+79001234568", "open")


async def test_the_captured_outbound_call_is_answered_without_types_on_its_final_event(cf, supervisor):
    await cf.user("olga", Role.operator, extension="201")
    await play(cf, scenario("sipuni", "outbound_answered_captured"))
    call = (await calls(cf, supervisor))["1774372584.533596"]
    assert (call["direction"], call["outcome"], call["number"], call["operator_extension"]) == (
        "outbound",
        "answered",
        "+79001234569",
        "201",
    )


async def test_a_sync_queue_only_observes_sipuni_calls(cf, supervisor):
    """Sipuni cannot take a routing answer: its calls in a sync queue are the PBX's to distribute."""
    desk = Desk(cf, supervisor)
    await desk.operator("201")
    await desk.queue(["201"], mode="sync")
    [ring, *_] = scenario("sipuni", "inbound_missed")
    await play(cf, [ring])
    await desk.tick()
    assert await desk.offers("201") == []  # callfunnel offers nothing ...
    assert await desk.state_of("201") == "ringing"  # ... and follows the PBX ringing 201


async def test_click_to_call_with_only_sipuni_says_why_not(settings):
    no_api = {"mango_api_key": "", "mango_api_salt": "", "zadarma_api_key": "", "zadarma_secret": ""}
    only_sipuni = settings.model_copy(update=no_api)
    async with running(only_sipuni) as cf:
        supervisor = await cf.user("sam", Role.supervisor)
        operator = await cf.user("olga", Role.operator, extension="201")
        await play(cf, scenario("sipuni", "inbound_missed"))
        [callback] = (await cf.http.get("/api/callbacks", headers=supervisor["headers"])).json()["items"]
        response = await cf.http.post(f"/api/callbacks/{callback['id']}/dial", headers=operator["headers"])
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "Sipuni" in detail.split(";")[1] and "cannot place calls" in detail


async def test_nothing_is_stored_twice_for_a_redelivery(cf):
    items = scenario("sipuni", "inbound_missed")
    await play(cf, items + items)
    keys = await cf.db.read(lambda s: list(s.execute(select(InboxItem.dedup_key)).scalars()))
    assert len(keys) == len(set(keys)) == 3


async def test_a_call_whose_final_event_never_came_is_finished_by_the_sweep(cf, supervisor):
    ringing = scenario("sipuni", "inbound_missed")[:2]  # both phones rang; event=2 was lost
    await play(cf, ringing)
    settings = cf.app.state.settings
    policy = CallPolicy.from_settings(settings)
    swept = await finalize_stale_calls(db=cf.db, settings=settings, policy=policy, now=utcnow() + timedelta(hours=3))
    assert swept == 1
    call = (await calls(cf, supervisor))["1750000100.100002"]
    assert (call["outcome"], call["finalized_by"]) == ("missed", "sweep")
    [callback] = (await cf.http.get("/api/callbacks", headers=supervisor["headers"])).json()["items"]
    assert callback["phone"] == "+79001234568"


async def test_an_address_list_for_sipuni_refuses_others(settings):
    listed = settings.model_copy(
        update={"pbx_allowed_ips": Settings(pbx_allowed_ips={"sipuni": ["10.0.0.0/8"]}).pbx_allowed_ips}
    )
    async with running(listed) as cf:
        refused = await cf.http.get("/pbx/sipuni", params={"key": SIPUNI_SECRET})
        assert refused.status_code == 403 and "not an allowed sipuni address" in refused.json()["detail"]


async def test_phones_the_pbx_rang_are_free_again_when_the_call_is_over(cf, supervisor):
    """``last_called`` names only the last phone rung; the call's end frees every one."""
    desk = Desk(cf, supervisor)
    await desk.operator("201")
    await desk.operator("202")
    ringing = scenario("sipuni", "inbound_missed")
    await play(cf, ringing[:2])
    assert [await desk.state_of(ext) for ext in ("201", "202")] == ["ringing", "ringing"]
    await play(cf, ringing[2:])
    assert [await desk.state_of(ext) for ext in ("201", "202")] == ["available", "available"]
