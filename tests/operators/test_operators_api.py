"""Operators through the API: a supervisor creates one (the token works at once), operators set
their own state, supervisors anyone's, and a call in progress is not walked away from."""

from app.auth.models import Role
from tests.support.desk import Desk


async def test_a_supervisor_creates_an_operator_whose_token_works(cf, supervisor):
    created = await cf.http.post(
        "/api/operators",
        json={"name": "olga", "extension": "101", "skills": {"sales": 8}, "wrap_up_seconds": 10},
        headers=supervisor["headers"],
    )
    assert created.status_code == 201, created.text
    olga = created.json()
    assert (olga["state"], olga["skills"], olga["wrap_up_seconds"]) == ("offline", {"sales": 8}, 10)
    mine = {"Authorization": f"Bearer {olga['token']}"}
    went = await cf.http.post("/api/operators/me/state", json={"state": "available"}, headers=mine)
    assert (went.status_code, went.json()["state"]) == (200, "available")
    again = await cf.http.post(
        "/api/operators", json={"name": "olga", "extension": "102"}, headers=supervisor["headers"]
    )
    assert again.status_code == 409


async def test_operators_cannot_create_operators_nor_set_anyone_elses_state(cf, supervisor):
    olga = await cf.user("olga", Role.operator, extension="101")
    ivan = await cf.user("ivan", Role.operator, extension="102")
    refused = await cf.http.post("/api/operators", json={"name": "x", "extension": "103"}, headers=olga["headers"])
    assert refused.status_code == 403
    other = await cf.http.post(f"/api/operators/{ivan['id']}/state", json={"state": "break"}, headers=olga["headers"])
    assert other.status_code == 403
    by_supervisor = await cf.http.post(
        f"/api/operators/{ivan['id']}/state", json={"state": "break"}, headers=supervisor["headers"]
    )
    assert by_supervisor.json()["state"] == "break"
    not_an_operator = await cf.http.post(
        "/api/operators/me/state", json={"state": "available"}, headers=supervisor["headers"]
    )
    assert not_an_operator.status_code == 403


async def test_an_operator_on_a_call_cannot_leave_it_and_one_ringing_hands_it_on(cf, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("101")
    await desk.operator("102")
    await desk.queue(["101", "102"])
    route = await desk.incoming("c-1")
    first = route["targets"][0]["extension"]
    second = "102" if first == "101" else "101"
    left = await cf.http.post(
        "/api/operators/me/state", json={"state": "break"}, headers=desk.operators[first]["headers"]
    )
    assert left.json()["state"] == "break"
    assert [o["call_id"] for o in await desk.offers(second)] != []  # handed on at once
    await desk.answer("c-1", second)
    busy = await cf.http.post(
        "/api/operators/me/state", json={"state": "offline"}, headers=desk.operators[second]["headers"]
    )
    assert busy.status_code == 409 and "on a call" in busy.json()["detail"]


async def test_a_reissued_token_replaces_the_old_one(cf, supervisor):
    olga = await cf.user("olga", Role.operator, extension="101")
    reissued = await cf.http.post(f"/api/operators/{olga['id']}/token", headers=supervisor["headers"])
    assert reissued.status_code == 200
    assert (await cf.http.get("/api/offers", headers=olga["headers"])).status_code == 401
    fresh = {"Authorization": f"Bearer {reissued.json()['token']}"}
    assert (await cf.http.get("/api/offers", headers=fresh)).status_code == 200


async def test_a_supervisor_moves_an_operator_to_another_extension_but_not_to_one_in_use(cf, supervisor):
    olga = await cf.user("olga", Role.operator, extension="101")
    await cf.user("ivan", Role.operator, extension="102")
    path = f"/api/operators/{olga['id']}"
    moved = await cf.http.patch(path, json={"extension": "105"}, headers=supervisor["headers"])
    assert (moved.status_code, moved.json()["extension"]) == (200, "105")
    taken = await cf.http.patch(path, json={"extension": "102"}, headers=supervisor["headers"])
    assert taken.status_code == 409 and "102" in taken.json()["detail"]
    unchanged = await cf.http.get(path, headers=supervisor["headers"])
    assert unchanged.json()["extension"] == "105"
