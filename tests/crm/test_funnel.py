"""The sales funnel through the API: deals, stage moves, refusal reasons, ownership, the call's
stage snapshot."""

from app.auth.models import Role
from tests.support.crm import new_contact, pipeline_named
from tests.support.desk import Desk


async def test_another_managers_client_needs_a_logged_takeover(cf, admin):
    owner = await cf.user("Olga", Role.operator)
    other = await cf.user("Oleg", Role.operator)
    contact_id = await new_contact(cf, owner["headers"])
    first = await cf.http.post("/api/deals", json={"contact_id": contact_id}, headers=owner["headers"])
    assert first.status_code == 201 and first.json()["owner_id"] == owner["id"]
    refused = await cf.http.post("/api/deals", json={"contact_id": contact_id}, headers=other["headers"])
    assert refused.status_code == 409 and "takeover" in refused.json()["detail"]
    moved = await cf.http.post(f"/api/deals/{first.json()['id']}/stage", json={"stage_id": 1}, headers=other["headers"])
    assert moved.status_code == 409
    taken = await cf.http.post(
        "/api/deals", json={"contact_id": contact_id, "takeover": True}, headers=other["headers"]
    )
    assert taken.status_code == 201 and taken.json()["owner_id"] == other["id"]
    earlier = (await cf.http.get(f"/api/deals/{first.json()['id']}", headers=admin["headers"])).json()
    assert earlier["owner_id"] == other["id"]  # the client's open deals go with the client
    contact = (await cf.http.get(f"/api/contacts/{contact_id}", headers=admin["headers"])).json()
    assert contact["owner_id"] == other["id"]
    history = (await cf.http.get(f"/api/contacts/{contact_id}/owners", headers=admin["headers"])).json()
    assert [(h["reason"], h["from_owner_id"], h["to_owner_id"], h["by_user_id"]) for h in history] == [
        ("claimed", None, owner["id"], owner["id"]),
        ("takeover", owner["id"], other["id"], other["id"]),
    ]
    reassigned = await cf.http.patch(
        f"/api/contacts/{contact_id}", json={"owner_id": owner["id"]}, headers=admin["headers"]
    )
    assert reassigned.status_code == 200
    history = (await cf.http.get(f"/api/contacts/{contact_id}/owners", headers=admin["headers"])).json()
    assert history[-1]["reason"] == "reassigned" and history[-1]["by_user_id"] == admin["id"]
    back = (await cf.http.get(f"/api/deals/{first.json()['id']}", headers=admin["headers"])).json()
    assert back["owner_id"] == owner["id"]  # a supervisor's reassignment moves the open deals too


async def test_losing_a_deal_needs_a_refusal_reason(cf, admin):
    manager = await cf.user("Olga", Role.operator)
    contact_id = await new_contact(cf, manager["headers"])
    deal = (await cf.http.post("/api/deals", json={"contact_id": contact_id}, headers=manager["headers"])).json()
    assert (await cf.http.post(f"/api/deals/{deal['id']}/lose", json={}, headers=manager["headers"])).status_code == 422
    bogus = await cf.http.post(
        f"/api/deals/{deal['id']}/lose", json={"refusal_reason_id": 999}, headers=manager["headers"]
    )
    assert bogus.status_code == 422
    reasons = (await cf.http.get("/api/refusal-reasons", headers=manager["headers"])).json()
    assert len(reasons) == 7 and {r["name"]: r["reopen_after_days"] for r in reasons}["no budget"] == 90
    lost = await cf.http.post(
        f"/api/deals/{deal['id']}/lose", json={"refusal_reason_id": reasons[0]["id"]}, headers=manager["headers"]
    )
    assert lost.status_code == 200 and lost.json()["status"] == "lost"
    again = await cf.http.post(f"/api/deals/{deal['id']}/stage", json={"stage_id": 1}, headers=manager["headers"])
    assert again.status_code == 409


async def test_a_call_keeps_the_stage_its_deal_was_in_when_it_came(cf, admin, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("101")
    await desk.queue(["101"])
    manager = desk.operators["101"]
    contact_id = await new_contact(cf, manager["headers"])
    phone = (await cf.http.get(f"/api/contacts/{contact_id}", headers=admin["headers"])).json()["phone"]
    pipeline = await pipeline_named(cf, admin["headers"])
    deal = (
        await cf.http.post(
            "/api/deals",
            json={"contact_id": contact_id, "stage_id": pipeline["stages"][0]["id"]},
            headers=manager["headers"],
        )
    ).json()
    await desk.incoming("c1", caller=phone)
    await desk.hang_up("c1", reason="caller_hung_up")
    moved = await cf.http.post(
        f"/api/deals/{deal['id']}/stage", json={"stage_id": pipeline["stages"][1]["id"]}, headers=manager["headers"]
    )
    assert moved.status_code == 200
    await desk.incoming("c2", caller=phone)
    await desk.hang_up("c2", reason="caller_hung_up")
    first, second = await desk.call("c1"), await desk.call("c2")
    assert (first["deal_id"], first["deal_stage_id"]) == (deal["id"], pipeline["stages"][0]["id"])
    assert (second["deal_id"], second["deal_stage_id"]) == (deal["id"], pipeline["stages"][1]["id"])


async def test_a_new_client_answered_from_a_deal_queue_starts_a_deal(cf, admin, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("101")
    pipeline = await pipeline_named(cf, admin["headers"])
    await desk.queue(["101"], deal_pipeline_id=pipeline["id"])
    await desk.incoming("new1", caller="+79007770001")
    await desk.answer("new1", "101")
    await desk.hang_up("new1")
    await desk.incoming("new2", caller="+79007770001")  # the same client again: no second deal
    await desk.answer("new2", "101")
    await desk.hang_up("new2")
    call = await desk.call("new1")
    [deal] = (
        await cf.http.get("/api/deals", params={"contact_id": call["contact_id"]}, headers=admin["headers"])
    ).json()["items"]
    assert deal["owner_id"] == desk.operators["101"]["id"] and deal["stage_id"] == pipeline["stages"][0]["id"]
    assert (call["deal_id"], call["deal_stage_id"]) == (deal["id"], pipeline["stages"][0]["id"])
    assert deal["touch_count"] == 2
    contact = (await cf.http.get(f"/api/contacts/{call['contact_id']}", headers=admin["headers"])).json()
    assert contact["owner_id"] == desk.operators["101"]["id"]
