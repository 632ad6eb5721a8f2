"""The callback list: opens on a miss, closes itself when the client is reached, whatever the order."""

import asyncio
import json

from app.auth.models import Role
from telephony import generic
from telephony.mango.script import InboundCall
from tests.support.app import GENERIC_SECRET
from tests.support.calls import E164, NUMBER, T, answered, call_id, callbacks, missed, play
from tests.support.desk import LINE, Desk


async def test_answered_call_after_a_miss_closes_the_callback(cf, supervisor):
    await play(cf, missed("m1", T), missed("m2", T + 300))
    [callback] = await callbacks(cf, supervisor["headers"], "open")
    assert callback["missed_count"] == 2 and callback["due_at"].startswith("2025-06-15T15:21:40")  # first miss + 15 min
    await play(cf, answered("a1", T + 600))
    assert await callbacks(cf, supervisor["headers"], "open") == []
    [done] = await callbacks(cf, supervisor["headers"], "done")
    assert done["id"] == callback["id"] and done["resolved_call_id"] == await call_id(cf, supervisor["headers"], "a1")


async def test_answered_call_that_arrives_first_still_counts(cf, supervisor):
    await play(cf, answered("a1", T + 600), missed("m1", T))
    assert await callbacks(cf, supervisor["headers"]) == []


async def test_miss_after_the_last_answered_call_opens_a_callback(cf, supervisor):
    await play(cf, missed("m2", T + 900), answered("a1", T + 600))
    [callback] = await callbacks(cf, supervisor["headers"], "open")
    assert callback["first_missed_at"].startswith("2025-06-15T15:21:40")


async def test_answer_between_misses_leaves_only_the_later_ones_open(cf, supervisor):
    await play(cf, missed("m1", T), missed("m2", T + 900))
    await play(cf, answered("a1", T + 600))  # arrives late: it splits the open callback
    [still_open] = await callbacks(cf, supervisor["headers"], "open")
    assert still_open["missed_count"] == 1 and still_open["first_missed_at"].startswith("2025-06-15T15:21:40")
    [done] = await callbacks(cf, supervisor["headers"], "done")
    assert done["missed_count"] == 1 and done["resolved_call_id"] == await call_id(cf, supervisor["headers"], "a1")


async def test_numbers_are_one_contact_whatever_the_notation(cf, supervisor):
    await play(cf, missed("m1", T, "8 (900) 123-45-67"), missed("m2", T + 60, "+7 900 123 45 67"))
    [callback] = await callbacks(cf, supervisor["headers"], "open")
    assert (callback["phone"], callback["missed_count"]) == (E164, 2)
    contacts = (await cf.http.get("/api/contacts", params={"phone": NUMBER}, headers=supervisor["headers"])).json()
    assert contacts["total"] == 1 and contacts["items"][0]["id"] == callback["contact_id"]


async def test_personal_manager_gets_the_callback_and_others_need_a_takeover(cf, supervisor):
    owner = await cf.user("olga", Role.operator, extension="101")
    other = await cf.user("ivan", Role.operator, extension="102")
    await play(cf, answered("a0", T - 3600))
    contact_id = (await cf.http.get("/api/contacts", headers=supervisor["headers"])).json()["items"][0]["id"]
    assert (
        await cf.http.patch(f"/api/contacts/{contact_id}", json={"owner_id": owner["id"]}, headers=other["headers"])
    ).status_code == 403
    response = await cf.http.patch(
        f"/api/contacts/{contact_id}", json={"owner_id": owner["id"], "name": "ACME"}, headers=supervisor["headers"]
    )
    assert response.status_code == 200 and response.json()["owner_id"] == owner["id"]

    await play(cf, missed("m1", T))
    [callback] = await callbacks(cf, supervisor["headers"], "open")
    assert callback["assignee_id"] == owner["id"]
    url = f"/api/callbacks/{callback['id']}"
    response = await cf.http.post(f"{url}/claim", headers=other["headers"])
    assert response.status_code == 409 and "takeover" in response.json()["detail"]
    response = await cf.http.post(f"{url}/claim", json={"takeover": True}, headers=other["headers"])
    assert response.status_code == 200 and response.json()["status"] == "in_progress"
    assert response.json()["assignee_id"] == other["id"]
    # The owner now needs a takeover too: someone is working on it.
    assert (await cf.http.post(f"{url}/complete", json={"result": "x"}, headers=owner["headers"])).status_code == 409
    response = await cf.http.post(
        f"{url}/complete", json={"result": "agreed a demo on Friday"}, headers=other["headers"]
    )
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert response.json()["result"] == "agreed a demo on Friday"
    response = await cf.http.post(f"{url}/cancel", json={"reason": "dup"}, headers=supervisor["headers"])
    assert response.status_code == 409 and "already done" in response.json()["detail"]


async def test_supervisor_assigns_and_operators_cancel(cf, supervisor):
    operator = await cf.user("olga", Role.operator, extension="101")
    await play(cf, missed("m1", T))
    [callback] = await callbacks(cf, supervisor["headers"], "open")
    url = f"/api/callbacks/{callback['id']}"
    response = await cf.http.post(f"{url}/claim", json={"assignee_id": operator["id"]}, headers=supervisor["headers"])
    assert response.json()["assignee_id"] == operator["id"]
    assert (
        await cf.http.post(f"{url}/claim", json={"assignee_id": 999}, headers=supervisor["headers"])
    ).status_code == 404
    response = await cf.http.post(f"{url}/cancel", json={"reason": "wrong number"}, headers=operator["headers"])
    assert response.status_code == 200 and response.json()["status"] == "canceled"
    assert response.json()["result"] == "wrong number"
    assert await callbacks(cf, supervisor["headers"], "open") == []
    assert (await cf.http.post(f"{url}/complete", json={"result": ""}, headers=operator["headers"])).status_code == 422


async def test_unanswered_dial_counts_an_attempt(cf, supervisor):
    await play(cf, missed("m1", T))
    t = T + 1200
    for event in [
        {"event": "outgoing", "call_id": "o1", "to": NUMBER, "extension": "101", "timestamp": t},
        {"event": "ended", "call_id": "o1", "reason": "no_answer", "timestamp": t + 30},
    ]:
        body = json.dumps(event).encode()
        await cf.http.post(
            "/pbx/generic/events", content=body, headers={generic.SIGNATURE_HEADER: generic.sign(GENERIC_SECRET, body)}
        )
    await cf.settle()
    [callback] = await callbacks(cf, supervisor["headers"], "open")
    assert callback["attempts"] == 1
    calls = (await cf.http.get("/api/calls", params={"direction": "outbound"}, headers=supervisor["headers"])).json()
    assert calls["items"][0]["outcome"] == "not_reached"


async def test_two_operators_racing_for_one_callback_one_wins(cf, supervisor):
    olga = await cf.user("olga", Role.operator, extension="101")
    ivan = await cf.user("ivan", Role.operator, extension="102")
    await play(cf, missed("m1", T))
    [callback] = await callbacks(cf, supervisor["headers"], "open")
    url = f"/api/callbacks/{callback['id']}/claim"
    first, second = await asyncio.gather(
        cf.http.post(url, headers=olga["headers"]), cf.http.post(url, headers=ivan["headers"])
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    winner = olga if first.status_code == 200 else ivan
    [claimed] = await callbacks(cf, supervisor["headers"], "in_progress")
    assert claimed["assignee_id"] == winner["id"]


async def test_cancel_needs_no_body(cf, supervisor):
    await play(cf, missed("m1", T))
    [callback] = await callbacks(cf, supervisor["headers"], "open")
    response = await cf.http.post(f"/api/callbacks/{callback['id']}/cancel", headers=supervisor["headers"])
    assert response.status_code == 200 and (response.json()["status"], response.json()["result"]) == (
        "canceled",
        "canceled",
    )


async def test_the_list_narrows_to_overdue_callbacks_and_to_a_queues(cf, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("101", state="offline")
    sales = await desk.queue(["101"], name="sales")
    service = await desk.queue(["101"], name="service", numbers=["+74950000002"])
    for call, caller, line in (("s1", "+79001110001", LINE), ("v1", "+79001110002", "+74950000002")):
        await desk.pbx("incoming", call, **{"from": caller, "to": line})
        await desk.hang_up(call, "queue_timeout")
    # Missed in 2025 on a line no queue answers (long overdue). On a queue's line, whether it entered
    # the queue would depend on how the processor batched its notifications.
    await play(cf, InboundCall("old", "79001110003", T, line="74959999999").missed())

    async def phones(**params) -> list[str]:
        page = await cf.http.get("/api/callbacks", params={"status": "open", **params}, headers=supervisor["headers"])
        assert page.status_code == 200, page.text
        return [callback["phone"] for callback in page.json()["items"]]

    assert await phones(queue_id=sales["id"]) == ["+79001110001"]
    assert await phones(queue_id=service["id"]) == ["+79001110002"]
    assert await phones(overdue="true") == ["+79001110003"]
    assert len(await phones()) == 3
