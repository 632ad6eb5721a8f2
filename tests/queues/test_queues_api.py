"""Queues through the API: lines written any way land in one queue only, members are replaced
as a whole in their order, and only supervisors change either."""

from app.auth.models import Role


async def test_a_line_belongs_to_one_queue_whatever_its_notation(cf, supervisor):
    sales = await cf.http.post(
        "/api/queues", json={"name": "sales", "numbers": ["8 (495) 123-45-67"]}, headers=supervisor["headers"]
    )
    assert sales.status_code == 201 and sales.json()["numbers"] == ["+74951234567"]
    taken = await cf.http.post(
        "/api/queues", json={"name": "support", "numbers": ["+7 495 123 45 67"]}, headers=supervisor["headers"]
    )
    assert taken.status_code == 409
    renamed = await cf.http.post("/api/queues", json={"name": "sales"}, headers=supervisor["headers"])
    assert renamed.status_code == 409
    assert [q["name"] for q in (await cf.http.get("/api/queues", headers=supervisor["headers"])).json()] == ["sales"]


async def test_members_are_replaced_in_their_order(cf, supervisor):
    olga = await cf.user("olga", Role.operator, extension="101")
    ivan = await cf.user("ivan", Role.operator, extension="102")
    queue = (await cf.http.post("/api/queues", json={"name": "sales"}, headers=supervisor["headers"])).json()
    url = f"/api/queues/{queue['id']}/members"
    both = [{"operator_id": ivan["id"], "position": 0}, {"operator_id": olga["id"], "position": 1}]
    assert (await cf.http.put(url, json=both, headers=supervisor["headers"])).json()["members"] == both
    only = [{"operator_id": olga["id"], "position": 0}]
    assert (await cf.http.put(url, json=only, headers=supervisor["headers"])).json()["members"] == only
    fetched = await cf.http.get(f"/api/queues/{queue['id']}", headers=olga["headers"])
    assert fetched.json()["members"] == only


async def test_operators_read_queues_but_do_not_change_them(cf, supervisor):
    olga = await cf.user("olga", Role.operator, extension="101")
    queue = (await cf.http.post("/api/queues", json={"name": "sales"}, headers=supervisor["headers"])).json()
    assert (await cf.http.get("/api/queues", headers=olga["headers"])).status_code == 200
    patch = await cf.http.patch(f"/api/queues/{queue['id']}", json={"strategy": "ring_all"}, headers=olga["headers"])
    assert patch.status_code == 403
    assert (await cf.http.post("/api/queues", json={"name": "mine"}, headers=olga["headers"])).status_code == 403
