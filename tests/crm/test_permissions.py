"""Who may change what: one manager per client, takeovers under TAKEOVER_POLICY, owners are
operators, touches that cannot run a deal's clock forward.  Reading stays open to everyone."""

from datetime import UTC, datetime, timedelta

import pytest

from app.auth.models import Role
from tests.support.app import running
from tests.support.calls import E164, T, callbacks, missed, play


async def owned_client(cf, owner: dict, phone: str = E164) -> dict:
    contact = (await cf.http.post("/api/contacts", json={"phone": phone}, headers=owner["headers"])).json()
    deal = await cf.http.post("/api/deals", json={"contact_id": contact["id"]}, headers=owner["headers"])
    assert deal.status_code == 201, deal.text
    return {"contact": contact, "deal": deal.json()}


@pytest.fixture
async def strict(settings):
    async with running(settings.model_copy(update={"takeover_policy": "supervisor"})) as instance:
        yield instance


async def test_under_the_supervisor_policy_operators_cannot_take_over_anything(strict):
    anna = await strict.user("anna", Role.operator, extension="101")
    boris = await strict.user("boris", Role.operator, extension="102")
    sam = await strict.user("sam", Role.supervisor)
    client = await owned_client(strict, anna)
    cid = client["contact"]["id"]

    deal = await strict.http.post("/api/deals", json={"contact_id": cid, "takeover": True}, headers=boris["headers"])
    assert deal.status_code == 403 and "TAKEOVER_POLICY" in deal.json()["detail"]

    await play(strict, missed("m1", T))
    [callback] = await callbacks(strict, sam["headers"], "open")
    url = f"/api/callbacks/{callback['id']}"
    for action, body in (("claim", {"takeover": True}), ("complete", {"result": "x", "takeover": True})):
        response = await strict.http.post(f"{url}/{action}", json=body, headers=boris["headers"])
        assert response.status_code == 403, (action, response.text)
    response = await strict.http.post(f"{url}/cancel?takeover=true", headers=boris["headers"])
    assert response.status_code == 403
    assert (await strict.http.post(f"{url}/dial?takeover=true", headers=boris["headers"])).status_code in (403, 409)

    assert (await strict.http.post(f"{url}/claim", json={}, headers=anna["headers"])).status_code == 200
    moved = await strict.http.patch(f"/api/contacts/{cid}", json={"owner_id": boris["id"]}, headers=sam["headers"])
    assert moved.status_code == 200 and moved.json()["owner_id"] == boris["id"]
    owners = (await strict.http.get(f"/api/contacts/{cid}/owners", headers=boris["headers"])).json()
    assert [o["reason"] for o in owners] == ["claimed", "reassigned"]


async def test_under_the_default_policy_a_takeover_is_allowed_and_logged(cf):
    anna = await cf.user("anna", Role.operator, extension="101")
    boris = await cf.user("boris", Role.operator, extension="102")
    client = await owned_client(cf, anna)
    cid = client["contact"]["id"]
    assert (await cf.http.post("/api/deals", json={"contact_id": cid}, headers=boris["headers"])).status_code == 409
    taken = await cf.http.post("/api/deals", json={"contact_id": cid, "takeover": True}, headers=boris["headers"])
    assert taken.status_code == 201 and taken.json()["owner_id"] == boris["id"]
    owners = (await cf.http.get(f"/api/contacts/{cid}/owners", headers=anna["headers"])).json()
    assert owners[-1]["reason"] == "takeover"


async def test_only_the_owner_an_operator_of_an_ownerless_client_or_a_supervisor_renames_it(cf, supervisor):
    anna = await cf.user("anna", Role.operator, extension="101")
    boris = await cf.user("boris", Role.operator, extension="102")
    cid = (await owned_client(cf, anna))["contact"]["id"]
    refused = await cf.http.patch(f"/api/contacts/{cid}", json={"name": "Mine now"}, headers=boris["headers"])
    assert refused.status_code == 403
    assert (await cf.http.get(f"/api/contacts/{cid}", headers=boris["headers"])).json()["name"] is None  # read: open
    assert (
        await cf.http.patch(f"/api/contacts/{cid}", json={"name": "Ivan"}, headers=anna["headers"])
    ).status_code == 200
    renamed = await cf.http.patch(f"/api/contacts/{cid}", json={"company": "Stroy"}, headers=supervisor["headers"])
    assert renamed.json()["company"] == "Stroy"
    nobodys = (await cf.http.post("/api/contacts", json={"phone": "+79005550000"}, headers=anna["headers"])).json()
    named = await cf.http.patch(f"/api/contacts/{nobodys['id']}", json={"name": "Petr"}, headers=boris["headers"])
    assert named.status_code == 200


async def test_owners_are_operators(cf, supervisor):
    admin = await cf.user("root", Role.admin)
    cid = (await cf.http.post("/api/contacts", json={"phone": E164}, headers=supervisor["headers"])).json()["id"]
    refused = await cf.http.patch(f"/api/contacts/{cid}", json={"owner_id": admin["id"]}, headers=supervisor["headers"])
    assert refused.status_code == 422 and "not an operator" in refused.json()["detail"]
    deal = await cf.http.post(
        "/api/deals", json={"contact_id": cid, "owner_id": admin["id"]}, headers=supervisor["headers"]
    )
    assert deal.status_code == 422
    assert (await cf.http.get(f"/api/contacts/{cid}", headers=supervisor["headers"])).json()["owner_id"] is None


async def test_touches_cannot_run_a_deals_clock_forward_nor_touch_another_managers_deal(cf):
    anna = await cf.user("anna", Role.operator, extension="101")
    boris = await cf.user("boris", Role.operator, extension="102")
    client = await owned_client(cf, anna)
    base = {"contact_id": client["contact"]["id"], "deal_id": client["deal"]["id"], "channel": "note"}
    now = datetime.now(UTC)

    for at in ("9999-12-31T00:00:00Z", (now + timedelta(minutes=10)).isoformat()):
        response = await cf.http.post("/api/touches", json={**base, "at": at}, headers=anna["headers"])
        assert response.status_code == 422, (at, response.text)
    assert (await cf.http.post("/api/touches", json=base, headers=boris["headers"])).status_code == 403

    latest = now - timedelta(minutes=1)
    assert (
        await cf.http.post("/api/touches", json={**base, "at": latest.isoformat()}, headers=anna["headers"])
    ).status_code == 201
    backfilled = (now - timedelta(days=30)).isoformat()
    assert (
        await cf.http.post("/api/touches", json={**base, "at": backfilled}, headers=anna["headers"])
    ).status_code == 201
    deal = (await cf.http.get(f"/api/deals/{client['deal']['id']}", headers=boris["headers"])).json()
    assert deal["touch_count"] == 2
    assert datetime.fromisoformat(deal["last_touch_at"]) == latest
