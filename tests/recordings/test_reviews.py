"""Reviews on the scorecard: the weighted score, notes at moments of the recording, a scorecard
edit that leaves old reviews as they were, and the reviews report."""

import csv
import io

from app.auth.models import Role
from tests.support.recordings import answered_call, recordings_of


async def scorecard(cf, headers) -> dict:
    response = await cf.http.get("/api/scorecards", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def review(cf, headers, call: int, answers: list[str], **extra) -> dict:
    card = await scorecard(cf, headers)
    body = {"call_id": call, "scorecard_id": card["id"], "answers": answers, **extra}
    response = await cf.http.post("/api/reviews", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_score_is_the_weighted_share_of_the_applicable_items(cf, store, supervisor):
    headers = supervisor["headers"]
    card = await scorecard(cf, headers)
    assert [(i["name"], i["weight"]) for i in card["items"]] == [
        ("greeting and introduction", 1.0),
        ("needs discovered", 2.0),
        ("presentation fitted to the needs", 2.0),
        ("objections handled", 2.0),
        ("next step agreed", 2.0),
        ("refusal reason recorded", 1.0),
    ]
    call = await answered_call(cf, store, headers, "m-rev")
    [recording] = await recordings_of(cf, headers, call)
    notes = [
        {"at_seconds": 42.5, "text": "no question about the budget", "recording_id": recording["id"]},
        {"at_seconds": 3.0, "text": "good opening"},
    ]
    made = await review(cf, headers, call, ["yes", "partly", "no", "yes", "yes", "na"], comment="ok", notes=notes)
    # (1·1 + 2·0.5 + 2·0 + 2·1 + 2·1) / (1 + 2 + 2 + 2 + 2) = 6 / 9
    assert made["score"] == 66.7
    assert [n["at_seconds"] for n in made["notes"]] == [3.0, 42.5]  # in the recording's order
    none = await review(cf, headers, call, ["na"] * 6)
    assert none["score"] is None
    short = await cf.http.post(
        "/api/reviews", json={"call_id": call, "scorecard_id": card["id"], "answers": ["yes"]}, headers=headers
    )
    assert short.status_code == 422
    foreign = await cf.http.post(
        "/api/reviews",
        json={
            "call_id": call,
            "scorecard_id": card["id"],
            "answers": ["yes"] * 6,
            "notes": [{"at_seconds": 1, "text": "x", "recording_id": recording["id"] + 100}],
        },
        headers=headers,
    )
    assert foreign.status_code == 422


async def test_a_scorecard_edit_leaves_old_reviews_as_they_were(cf, store, supervisor, admin):
    headers = supervisor["headers"]
    call = await answered_call(cf, store, headers, "m-edit")
    before = await review(cf, headers, call, ["yes", "yes", "no", "no", "yes", "yes"])
    old_card = await scorecard(cf, headers)
    edited = await cf.http.put(
        "/api/scorecards",
        json={"items": [{"name": "listened more than talked", "weight": 1}]},
        headers=admin["headers"],
    )
    assert edited.status_code == 200, edited.text
    assert (
        await cf.http.put("/api/scorecards", json={"items": [{"name": "x", "weight": 1}]}, headers=headers)
    ).status_code == 403
    stale = await cf.http.post(
        "/api/reviews", json={"call_id": call, "scorecard_id": old_card["id"], "answers": ["yes"] * 6}, headers=headers
    )
    assert stale.status_code == 409  # scored on a scorecard that changed meanwhile
    after = await review(cf, headers, call, ["no"])
    assert after["answers"] == [{"position": 1, "name": "listened more than talked", "weight": 1.0, "answer": "no"}]
    again = (await cf.http.get(f"/api/reviews/{before['id']}", headers=headers)).json()
    assert again == before and len(again["answers"]) == 6 and again["score"] == 60.0


async def test_reviews_report_per_manager_and_what_operators_see(cf, store, supervisor):
    headers = supervisor["headers"]
    anna = await cf.user("anna", Role.operator, extension="101")
    boris = await cf.user("boris", Role.operator, extension="102")
    call = await answered_call(cf, store, headers, "m-r1")
    await review(cf, headers, call, ["yes"] * 6)
    await review(cf, headers, call, ["no", "no", "no", "no", "no", "yes"])
    report = await cf.http.get("/api/reports/reviews", params={"by": "manager"}, headers=headers)
    assert report.status_code == 200, report.text
    [group] = report.json()["groups"]
    assert (group["id"], group["name"], group["reviews"]) == (anna["id"], "anna", 2)
    assert group["score"] == round((100 + 100 / 10) / 2, 1)
    greeting = next(i for i in group["items"] if i["name"] == "greeting and introduction")
    assert greeting["score"] == 50.0
    by_stage = (await cf.http.get("/api/reports/reviews", params={"by": "stage"}, headers=headers)).json()
    assert [(g["name"], g["reviews"]) for g in by_stage["groups"]] == [("no deal", 2)]
    sheet = await cf.http.get("/api/reports/reviews", params={"format": "csv"}, headers=headers)
    rows = list(csv.reader(io.StringIO(sheet.text)))
    assert rows[0] == ["manager", "item", "reviews", "score_pct"] and ["anna", "", "2", "55.0"] in rows

    own = await cf.http.get("/api/reviews", headers=anna["headers"])
    assert len(own.json()) == 2
    assert (await cf.http.get("/api/reviews", headers=boris["headers"])).json() == []
    assert (
        await cf.http.get("/api/reviews", params={"operator_id": anna["id"]}, headers=boris["headers"])
    ).status_code == 403
    one = own.json()[0]["id"]
    assert (await cf.http.get(f"/api/reviews/{one}", headers=boris["headers"])).status_code == 403
    assert (await cf.http.post("/api/reviews", json={}, headers=anna["headers"])).status_code == 403
