"""MANGO OFFICE sample sequences replayed through the real webhook endpoints."""

import random

import pytest

from app.auth.models import Role
from tests.support.app import mango_scenario, running
from tests.support.calls import final_state

CALLER = "+79001234567"


async def replay(cf, items: list[dict]) -> None:
    for item in items:
        response = await cf.post_pbx(item)
        assert response.status_code == 200, response.text
    await cf.settle()


async def only_call(cf, headers: dict) -> dict:
    calls = (await cf.http.get("/api/calls", headers=headers)).json()
    assert calls["total"] == 1, calls
    return calls["items"][0]


async def open_callbacks(cf, headers: dict) -> list[dict]:
    return (await cf.http.get("/api/callbacks", params={"status": "open"}, headers=headers)).json()["items"]


async def test_answered_via_queue(cf, supervisor):
    agent = await cf.user("petya", Role.operator, extension="102")
    await replay(cf, mango_scenario("inbound_answered_via_queue"))
    call = await only_call(cf, supervisor["headers"])
    assert call["direction"] == "inbound"
    assert call["outcome"] == "answered"
    assert call["number"] == CALLER
    assert call["operator_id"] == agent["id"] and call["operator_extension"] == "102"
    assert call["answered_at"].startswith("2025-06-15T15:07:18")  # talk_time 1750000038
    [recording] = (await cf.http.get(f"/api/calls/{call['id']}/recordings", headers=supervisor["headers"])).json()
    assert (recording["state"], recording["extension"]) == ("playable", "102")  # Completed, then record/added
    assert call["recording_id"] == str(recording["id"])  # callfunnel's own id: MANGO's is never shown
    contact = (await cf.http.get(f"/api/contacts/{call['contact_id']}", headers=supervisor["headers"])).json()
    assert contact["phone"] == CALLER and [c["id"] for c in contact["calls"]] == [call["id"]]
    assert await open_callbacks(cf, supervisor["headers"]) == []

    detail = (await cf.http.get(f"/api/calls/{call['id']}", headers=supervisor["headers"])).json()
    rang = [leg["extension"] for leg in detail["legs"] if leg["kind"] == "operator"]
    assert rang == ["101", "102"]
    kinds = [t["kind"] for t in detail["timeline"]]
    assert "answered" in kinds and kinds.count("finalized") == 1


async def test_missed_after_queue_timeout_lands_on_callback_list(cf, supervisor):
    await replay(cf, mango_scenario("inbound_missed_no_answer_queue_timeout"))
    call = await only_call(cf, supervisor["headers"])
    assert (call["outcome"], call["end_reason"], call["answered_at"]) == ("missed", "queue_timeout", None)
    [callback] = await open_callbacks(cf, supervisor["headers"])
    assert callback["phone"] == CALLER and callback["contact_id"] == call["contact_id"]
    assert callback["reason"] == "queue_timeout" and callback["missed_count"] == 1
    assert callback["status"] == "open" and callback["due_at"].startswith("2025-06-15T15:21:40")  # start + 15 min
    assert call["callback_id"] == callback["id"]


async def test_caller_hangup_in_ivr_is_abandoned(cf, supervisor):
    await replay(cf, mango_scenario("caller_hangup_in_ivr"))
    call = await only_call(cf, supervisor["headers"])
    assert (call["outcome"], call["ended_in"]) == ("abandoned", "ivr")
    [callback] = await open_callbacks(cf, supervisor["headers"])
    assert callback["reason"] == "abandoned"
    detail = (await cf.http.get(f"/api/calls/{call['id']}", headers=supervisor["headers"])).json()
    assert {"digits": "1", "location": "ivr"} in [t["detail"] for t in detail["timeline"] if t["kind"] == "dtmf"]


async def test_outbound_callback_closes_the_open_callback(cf, supervisor):
    await cf.user("vasya", Role.operator, extension="101")
    await replay(cf, mango_scenario("inbound_missed_no_answer_queue_timeout"))
    [callback] = await open_callbacks(cf, supervisor["headers"])
    await replay(cf, mango_scenario("outbound_callback_answered"))

    calls = (
        await cf.http.get("/api/calls", params={"number": "8 900 123-45-67"}, headers=supervisor["headers"])
    ).json()
    outbound = next(c for c in calls["items"] if c["direction"] == "outbound")
    assert outbound["outcome"] == "answered" and outbound["operator_extension"] == "101"
    assert await open_callbacks(cf, supervisor["headers"]) == []
    closed = (await cf.http.get(f"/api/callbacks/{callback['id']}", headers=supervisor["headers"])).json()
    assert closed["status"] == "done" and closed["resolved_call_id"] == outbound["id"]


async def test_docs_route_example_answered_by_extension_123(cf, supervisor):
    await replay(cf, mango_scenario("docs_route_from_ivr_example"))
    call = await only_call(cf, supervisor["headers"])
    # No summary came: the legs say answered; the outcome waits for the summary or the sweep.
    assert (call["state"], call["outcome"], call["operator_extension"]) == ("ended", None, "123")


async def test_every_mango_path_is_acknowledged_and_stored(cf, supervisor):
    items = mango_scenario("docs_single_event_examples") + mango_scenario("docs_outbound_callback_example")
    await replay(cf, items)
    calls = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()
    assert calls["total"] == 3


SCENARIOS = [
    "inbound_answered_via_queue",
    "inbound_missed_no_answer_queue_timeout",
    "caller_hangup_in_ivr",
    "outbound_callback_answered",
    "docs_route_from_ivr_example",
]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_duplicates_and_shuffling_give_the_same_result(settings, new_database, seed):
    items = [item for name in SCENARIOS for item in mango_scenario(name)]
    async with running(settings) as clean:
        supervisor = await clean.user("sam", Role.supervisor)
        await replay(clean, items)
        expected = await final_state(clean, supervisor["headers"])

    messy = settings.model_copy(update={"database_url": await new_database()})
    async with running(messy) as cf:
        supervisor = await cf.user("sam", Role.supervisor)
        shuffled = items * 2
        random.Random(seed).shuffle(shuffled)
        await replay(cf, shuffled)
        assert await final_state(cf, supervisor["headers"]) == expected


async def test_restart_keeps_everything(settings):
    async with running(settings) as first:
        supervisor = await first.user("sam", Role.supervisor)
        await replay(first, mango_scenario("inbound_missed_no_answer_queue_timeout"))
        before = await final_state(first, supervisor["headers"])
    async with running(settings) as second:
        assert await final_state(second, supervisor["headers"]) == before
        # The same webhooks again after the restart are recognised as duplicates.
        response = await second.post_pbx(mango_scenario("inbound_missed_no_answer_queue_timeout")[0])
        assert response.json()["status"] == "duplicate"
