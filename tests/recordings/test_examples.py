"""The coaching library: calls marked as examples, filed under the stage they were working toward,
and listed on the funnel report's coaching pairs."""

from app.auth.models import Role
from telephony.mango.script import InboundCall
from tests.support.calls import T, call_id, play
from tests.support.crm import pipeline_named, play_manager


async def answered_by(cf, headers, entry: str, extension: str, number: str) -> int:
    await play(cf, InboundCall(entry, number, T).answered(extension=extension))
    return await call_id(cf, headers, entry)


async def test_an_example_is_filed_under_the_stage_the_call_worked_toward(cf, admin, supervisor):
    headers = supervisor["headers"]
    manager = await cf.user("anna", Role.operator, extension="101")
    pipeline = await pipeline_named(cf, admin["headers"])
    first, second = pipeline["stages"][0]["id"], pipeline["stages"][1]["id"]
    contact = await cf.http.post("/api/contacts", json={"phone": "+79001234567", "name": "Client"}, headers=headers)
    deal = await cf.http.post(
        "/api/deals",
        json={"contact_id": contact.json()["id"], "pipeline_id": pipeline["id"]},
        headers=manager["headers"],
    )
    assert deal.status_code == 201, deal.text
    on_the_list = await answered_by(cf, headers, "m-list", "101", "79001234567")
    moved = await cf.http.post(f"/api/deals/{deal.json()['id']}/stage", json={"stage_id": first}, headers=headers)
    assert moved.status_code == 200, moved.text
    in_first = await answered_by(cf, headers, "m-first", "101", "79001234567")

    marks = {}
    for call in (on_the_list, in_first):
        response = await cf.http.post(
            f"/api/calls/{call}/example", json={"kind": "good", "note": "opens well"}, headers=headers
        )
        assert response.status_code == 200, response.text
        marks[call] = response.json()
    assert marks[on_the_list]["stage_id"] == first  # still on the list: toward the first stage
    assert marks[in_first]["stage_id"] == second  # in the first stage: toward the next
    assert marks[in_first]["operator_id"] == manager["id"]

    listed = await cf.http.get("/api/examples", params={"stage_id": first}, headers=manager["headers"])
    assert [e["call_id"] for e in listed.json()] == [on_the_list]
    await cf.http.post(f"/api/calls/{in_first}/example", json={"kind": "bad"}, headers=headers)
    assert [e["call_id"] for e in (await cf.http.get("/api/examples", headers=manager["headers"])).json()] == [
        on_the_list
    ]  # operators see the good ones only
    assert len((await cf.http.get("/api/examples", params={"kind": "bad"}, headers=headers)).json()) == 1
    unknown = await cf.http.post(
        f"/api/calls/{in_first}/example", json={"kind": "good", "stage_id": 999}, headers=headers
    )
    assert unknown.status_code == 422


async def test_a_coaching_pair_names_the_coachs_good_examples_for_the_weak_stage(cf, admin, supervisor):
    headers = supervisor["headers"]
    ivanov = await cf.user("Ivanov", Role.operator, extension="101")
    sidorov = await cf.user("Sidorov", Role.operator, extension="102")
    pipeline = await pipeline_named(cf, admin["headers"])
    stages = {s["name"]: s["id"] for s in pipeline["stages"]}
    await play_manager(cf, ivanov, pipeline, [59, 47, 33, 28, 27])
    await play_manager(cf, sidorov, pipeline, [50, 48, 43, 30, 24])
    opening = await answered_by(cf, headers, "s-open", "102", "79001110001")
    older = await answered_by(cf, headers, "s-old", "102", "79001110002")
    presenting = await answered_by(cf, headers, "s-pres", "102", "79001110003")
    rude = await answered_by(cf, headers, "s-bad", "102", "79001110004")
    ivanovs = await answered_by(cf, headers, "i-open", "101", "79001110005")
    for call, kind, stage in (
        (opening, "good", "first contact"),
        (older, "good", "first contact"),
        (presenting, "good", "presentation"),
        (rude, "bad", "first contact"),
        (ivanovs, "good", "first contact"),
    ):
        body = {"kind": kind, "stage_id": stages[stage]}
        assert (await cf.http.post(f"/api/calls/{call}/example", json=body, headers=headers)).status_code == 200
    report = await cf.http.get(
        "/api/reports/funnel", params={"pipeline_id": pipeline["id"], "by": "manager"}, headers=admin["headers"]
    )
    pairs = {(p["manager"], p["stage"]): p for p in report.json()["coaching"]}
    weak_start = pairs[("Ivanov", "first contact")]
    assert (weak_start["manager_id"], weak_start["coach_id"], weak_start["stage_id"]) == (
        ivanov["id"],
        sidorov["id"],
        stages["first contact"],
    )
    assert {e["call_id"] for e in weak_start["examples"]} == {opening, older}  # good, his, this stage
    assert [e["call_id"] for e in pairs[("Ivanov", "presentation")]["examples"]] == [presenting]
    assert pairs[("Sidorov", "contract")]["examples"] == []
