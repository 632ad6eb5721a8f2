"""Reading calls through the REST API: filters, pages, auth."""

from app.auth.models import Role
from tests.support.calls import answered, missed, play

T = 1750000000


async def test_auth_is_required_and_roles_apply(cf, supervisor):
    assert (await cf.http.get("/api/calls")).status_code == 401
    assert (await cf.http.get("/api/calls", headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await cf.http.get("/api/calls", headers=supervisor["headers"])).status_code == 200
    operator = await cf.user("olga", Role.operator, extension="101")
    response = await cf.http.get("/api/contacts/1", headers=operator["headers"])
    assert response.status_code == 404 and response.json()["detail"] == "no contact 1"


async def test_filters_and_pages(cf, supervisor):
    await play(cf, missed("m1", T), answered("a1", T + 600), missed("x1", T + 1200, "79161112233"))
    get = lambda **params: cf.http.get("/api/calls", params=params, headers=supervisor["headers"])  # noqa: E731
    everything = (await get()).json()
    assert everything["total"] == 3 and [c["external_id"] for c in everything["items"]] == ["x1", "a1", "m1"]
    for notation in ("8 900 123-45-67", "+79001234567", "79001234567"):
        assert {c["external_id"] for c in (await get(number=notation)).json()["items"]} == {"m1", "a1"}
    assert [c["external_id"] for c in (await get(outcome="answered")).json()["items"]] == ["a1"]
    assert (await get(direction="outbound")).json()["total"] == 0
    window = (await get(since="2025-06-15T15:16:00Z", until="2025-06-15T15:26:00Z")).json()
    assert [c["external_id"] for c in window["items"]] == ["a1"]
    naive = (await get(since="2025-06-15T18:16:00", until="2025-06-15T18:26:00+03:00")).json()  # no offset: UTC
    assert [c["external_id"] for c in naive["items"]] == []
    assert (await get(since="yesterday")).status_code == 422
    page = (await get(limit=1, offset=1)).json()
    assert (page["total"], page["limit"], page["offset"], [c["external_id"] for c in page["items"]]) == (
        3,
        1,
        1,
        ["a1"],
    )
    assert (await get(limit=10_000)).json()["limit"] == 500
    assert (await get(limit=0)).status_code == 422
    assert (await get(outcome="lost")).status_code == 422
    first = everything["items"][-1]
    assert set(first) >= {
        "id",
        "direction",
        "number",
        "outcome",
        "contact_id",
        "operator_id",
        "started_at",
        "answered_at",
        "ended_at",
    }


async def test_call_detail_has_legs_and_timeline(cf, supervisor):
    await play(cf, missed("m1", T))
    [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    detail = (await cf.http.get(f"/api/calls/{call['id']}", headers=supervisor["headers"])).json()
    assert [leg["kind"] for leg in detail["legs"]] == ["ivr", "queue", "operator"]
    assert detail["timeline"][0]["kind"] == "leg_appeared" and detail["timeline"][-1]["kind"] == "finalized"
    assert (await cf.http.get("/api/calls/999", headers=supervisor["headers"])).status_code == 404
