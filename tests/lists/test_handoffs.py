"""Active sales' relay through the real API: a booked meeting hands the client to a closer (the one
chosen, else the least busy), the contract stage hands them on to an account manager, each with
its owner-history entry; the client's next call rings the new owner; and the funnel credits each
stage to whoever held the deal before it."""

import pytest

from tests.support.desk import Desk, rung
from tests.support.lists import ALL_DAY, next_of, result

MEETING = {"meeting_at": "2030-01-10T10:00:00+03:00"}


@pytest.fixture
async def desk(cf, supervisor) -> Desk:
    return Desk(cf, supervisor)


async def team(desk: Desk) -> dict[str, dict]:
    roles = {"101": "first_line", "201": "closer", "202": "closer", "301": "account_manager"}
    for extension, role in roles.items():
        operator = await desk.operator(extension)
        patched = await desk.cf.http.patch(
            f"/api/operators/{operator['id']}", json={"team_roles": [role]}, headers=desk.sup["headers"]
        )
        assert patched.status_code == 200, patched.text
    await desk.queue(list(roles), strategy="round_robin", sticky_timeout_seconds=15)
    return desk.operators


async def active_sales(cf, headers) -> tuple[dict, dict[str, int]]:
    pipelines = {p["name"]: p for p in (await cf.http.get("/api/pipelines", headers=headers)).json()}
    pipeline = pipelines["active sales"]
    return pipeline, {s["name"]: s["id"] for s in pipeline["stages"]}


async def cold_list(cf, headers, pipeline: dict, phones: list[str], member: dict) -> dict:
    body = {"name": "cold", "pipeline_id": pipeline["id"], "basis": "b2b", "hours": ALL_DAY}
    call_list = (await cf.http.post("/api/lists", json=body, headers=headers)).json()
    ids = [(await cf.http.post("/api/contacts", json={"phone": p}, headers=headers)).json()["id"] for p in phones]
    await cf.http.post(f"/api/lists/{call_list['id']}/contacts", json={"contact_ids": ids}, headers=headers)
    await cf.http.put(f"/api/lists/{call_list['id']}/members", json=[{"operator_id": member["id"]}], headers=headers)
    return call_list


async def deal_of(cf, headers, contact_id: int) -> dict:
    [deal] = (await cf.http.get("/api/deals", params={"contact_id": contact_id}, headers=headers)).json()["items"]
    return deal


async def owners(cf, headers, contact_id: int) -> list[tuple[int | None, int, str]]:
    history = (await cf.http.get(f"/api/contacts/{contact_id}/owners", headers=headers)).json()
    return [(h["from_owner_id"], h["to_owner_id"], h["reason"]) for h in history]


async def test_a_meeting_hands_the_client_to_a_closer_and_the_contract_to_an_account_manager(desk, cf):
    headers = desk.sup["headers"]
    people = await team(desk)
    first_line, closer_a, closer_b, account = (people[e] for e in ("101", "201", "202", "301"))
    pipeline, stages = await active_sales(cf, headers)
    busy = (await cf.http.post("/api/contacts", json={"phone": "+74951009999"}, headers=headers)).json()
    created = await cf.http.post(
        "/api/deals", json={"contact_id": busy["id"], "owner_id": closer_a["id"]}, headers=headers
    )
    assert created.status_code == 201, created.text  # closer A has an open deal, closer B none
    call_list = await cold_list(cf, headers, pipeline, ["+74951001001", "+74951001002"], first_line)

    first = await next_of(cf, call_list, first_line)
    await result(cf, first, first_line, "meeting", **MEETING)
    client = first["contact"]["id"]
    deal = await deal_of(cf, headers, client)
    assert (deal["stage_id"], deal["owner_id"], deal["closer_id"]) == (
        stages["meeting booked"],
        closer_b["id"],  # the least busy closer
        closer_b["id"],
    )
    assert await owners(cf, headers, client) == [
        (None, first_line["id"], "claimed"),
        (first_line["id"], closer_b["id"], "meeting"),
    ]
    [task] = (await cf.http.get("/api/tasks", params={"owner_id": closer_b["id"]}, headers=headers)).json()["items"]
    assert task["title"].startswith("meeting with") and task["contact_id"] == client

    second = await next_of(cf, call_list, first_line)
    chosen = await cf.http.post(
        f"/api/attempts/{second['attempt_id']}/result",
        json={"result": "meeting", "closer_id": first_line["id"], **MEETING},
        headers=first_line["headers"],
    )
    assert chosen.status_code == 422 and "not an active closer" in chosen.json()["detail"]  # nothing written
    await result(cf, second, first_line, "meeting", closer_id=closer_a["id"], **MEETING)
    assert (await deal_of(cf, headers, second["contact"]["id"]))["owner_id"] == closer_a["id"]

    for stage in ("meeting held", "contract"):
        moved = await cf.http.post(
            f"/api/deals/{deal['id']}/stage", json={"stage_id": stages[stage]}, headers=closer_b["headers"]
        )
        assert moved.status_code == 200, moved.text
    assert (moved.json()["owner_id"], moved.json()["closer_id"]) == (account["id"], closer_b["id"])
    assert (await owners(cf, headers, client))[-1] == (closer_b["id"], account["id"], "handoff")

    # The client calls: their new owner's phone rings first.
    assert rung(await desk.incoming("ho-1", caller="+74951001001")) == ["301"]

    report = await cf.http.get(
        "/api/reports/funnel", params={"pipeline_id": pipeline["id"], "by": "manager"}, headers=headers
    )
    by_name = {
        m["manager"]: [(r["stage"], r["entered"], r["conversion"]) for r in m["stages"]]
        for m in report.json()["managers"]
    }
    assert by_name["op101"][:2] == [("reached", 2, 100.0), ("meeting booked", 2, 100.0)]
    assert by_name["op202"][2:4] == [("meeting held", 1, 100.0), ("contract", 1, 100.0)]
    assert by_name["op201"][2] == ("meeting held", 0, 0.0)  # the meeting booked for A is still ahead
    assert by_name["op301"][4] == ("payment", 0, 0.0)
    team_rows = [(r["stage"], r["entered"]) for r in report.json()["team"]["stages"]]
    assert team_rows == [("reached", 2), ("meeting booked", 2), ("meeting held", 1), ("contract", 1), ("payment", 0)]
