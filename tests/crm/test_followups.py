"""Touches, tasks and the funnel's timers (time injected, never slept)."""

from datetime import UTC, datetime, timedelta

from app.auth.models import Role
from app.crm.scheduled import tick
from app.database import utcnow
from tests.support.app import running
from tests.support.calls import answered, missed
from tests.support.crm import new_contact
from tests.support.desk import Desk
from tests.support.inbox import stored_before_a_crash

T = 1750000000
OTHER = "+79161112233"


async def _later(cf, days: float) -> dict:
    moment = utcnow() + timedelta(days=days)
    return await cf.db.run(lambda s: tick(s, cadence=timedelta(days=7), now=moment))


async def _tasks(cf, headers: dict) -> list[dict]:
    return (await cf.http.get("/api/tasks", headers=headers)).json()["items"]


async def test_every_call_and_note_is_a_touch_of_the_deal(cf, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("101")
    await desk.queue(["101"])
    manager = desk.operators["101"]
    contact_id = await new_contact(cf, manager["headers"])
    phone = (await cf.http.get(f"/api/contacts/{contact_id}", headers=manager["headers"])).json()["phone"]
    deal = (await cf.http.post("/api/deals", json={"contact_id": contact_id}, headers=manager["headers"])).json()
    await desk.incoming("t1", caller=phone)
    await desk.answer("t1", "101")
    await desk.hang_up("t1")
    await desk.incoming("t2", caller=phone)
    await desk.hang_up("t2", reason="caller_hung_up")
    note = await cf.http.post(
        "/api/touches",
        json={"contact_id": contact_id, "deal_id": deal["id"], "channel": "email", "reason": "sent the offer"},
        headers=manager["headers"],
    )
    assert note.status_code == 201, note.text
    listed = (await cf.http.get("/api/touches", params={"deal_id": deal["id"]}, headers=manager["headers"])).json()
    assert sorted((t["channel"], t["answered"]) for t in listed["items"]) == [
        ("call", False),
        ("call", True),
        ("email", None),
    ]
    detail = (await cf.http.get(f"/api/deals/{deal['id']}", headers=manager["headers"])).json()
    assert detail["touch_count"] == 3 and detail["last_touch_at"] is not None
    wrong = await cf.http.post(
        "/api/touches", json={"contact_id": contact_id, "channel": "call"}, headers=manager["headers"]
    )
    assert wrong.status_code == 422  # calls are recorded by themselves


async def test_an_untouched_deal_reminds_its_owner_once(cf):
    manager = await cf.user("Olga", Role.operator)
    contact_id = await new_contact(cf, manager["headers"])
    deal = (await cf.http.post("/api/deals", json={"contact_id": contact_id}, headers=manager["headers"])).json()
    assert (await _later(cf, 6))["reminders"] == 0
    assert (await _later(cf, 8))["reminders"] == 1
    assert (await _later(cf, 9))["reminders"] == 0  # one open reminder is enough
    [reminder] = await _tasks(cf, manager["headers"])
    assert reminder["kind"] == "reminder" and reminder["deal_id"] == deal["id"]
    done = await cf.http.post(f"/api/tasks/{reminder['id']}/done", headers=manager["headers"])
    assert done.status_code == 200 and done.json()["done_at"] is not None
    assert await _tasks(cf, manager["headers"]) == []


async def test_a_refusal_for_lack_of_budget_reopens_after_its_delay(cf, admin):
    manager = await cf.user("Olga", Role.operator)
    reasons = {r["name"]: r for r in (await cf.http.get("/api/refusal-reasons", headers=admin["headers"])).json()}
    # "purchases not planned" starts a new deal when its 60 days pass; "no budget" reopens the lost one after 90.
    planned = reasons["purchases not planned"]
    updated = await cf.http.put(
        f"/api/refusal-reasons/{planned['id']}",
        json={"name": planned["name"], "reopen_after_days": 60, "reopen_as_new_deal": True},
        headers=admin["headers"],
    )
    assert updated.status_code == 200, updated.text
    deals = []
    for reason in ("no budget", "purchases not planned", "price too high"):
        contact_id = await new_contact(cf, manager["headers"])
        deal = (await cf.http.post("/api/deals", json={"contact_id": contact_id}, headers=manager["headers"])).json()
        lost = await cf.http.post(
            f"/api/deals/{deal['id']}/lose",
            json={"refusal_reason_id": reasons[reason]["id"]},
            headers=manager["headers"],
        )
        assert lost.status_code == 200
        deals.append(deal)
    no_budget, not_planned, price = deals

    assert (await _later(cf, 59))["reopened"] == 0
    assert (await _later(cf, 61))["reopened"] == 1  # not planned: a new deal for the same client
    assert (await _later(cf, 91))["reopened"] == 1  # no budget: the lost deal is open again
    assert (await _later(cf, 400))["reopened"] == 0  # price: never; and nothing twice

    def deal_status(deal_id):
        return cf.http.get(f"/api/deals/{deal_id}", headers=manager["headers"])

    assert (await deal_status(no_budget["id"])).json()["status"] == "open"
    assert (await deal_status(not_planned["id"])).json()["status"] == "lost"
    assert (await deal_status(price["id"])).json()["status"] == "lost"
    fresh = (
        await cf.http.get("/api/deals", params={"contact_id": not_planned["contact_id"]}, headers=manager["headers"])
    ).json()["items"]
    assert sorted(d["status"] for d in fresh) == ["lost", "open"]
    reopen_tasks = [t for t in await _tasks(cf, manager["headers"]) if t["kind"] == "reopen"]
    assert len(reopen_tasks) == 2


async def test_follow_up_tasks_are_per_manager(cf, supervisor):
    olga = await cf.user("Olga", Role.operator)
    oleg = await cf.user("Oleg", Role.operator)
    due = datetime(2026, 12, 10, 10, tzinfo=UTC).isoformat()
    mine = await cf.http.post("/api/tasks", json={"title": "send the contract", "due_at": due}, headers=olga["headers"])
    assert mine.status_code == 201
    forbidden = await cf.http.post(
        "/api/tasks", json={"title": "x", "due_at": due, "owner_id": oleg["id"]}, headers=olga["headers"]
    )
    assert forbidden.status_code == 403
    assigned = await cf.http.post(
        "/api/tasks",
        json={"title": "call Stroy LLC", "due_at": due, "owner_id": oleg["id"]},
        headers=supervisor["headers"],
    )
    assert assigned.status_code == 201
    assert [t["title"] for t in await _tasks(cf, olga["headers"])] == ["send the contract"]
    assert [t["title"] for t in await _tasks(cf, oleg["headers"])] == ["call Stroy LLC"]
    other = await cf.http.post(f"/api/tasks/{mine.json()['id']}/done", headers=oleg["headers"])
    assert other.status_code == 403


async def test_after_call_disposition_moves_the_deal_and_schedules_the_next_touch(cf, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("101")
    await desk.queue(["101"])
    manager = desk.operators["101"]
    contact_id = await new_contact(cf, manager["headers"])
    phone = (await cf.http.get(f"/api/contacts/{contact_id}", headers=manager["headers"])).json()["phone"]
    stages = [s["id"] for s in (await cf.http.get("/api/pipelines", headers=manager["headers"])).json()[0]["stages"]]
    deal = (
        await cf.http.post(
            "/api/deals", json={"contact_id": contact_id, "stage_id": stages[0]}, headers=manager["headers"]
        )
    ).json()
    await desk.incoming("d1", caller=phone)
    await desk.answer("d1", "101")
    await desk.hang_up("d1")
    call_id = (await desk.call("d1"))["id"]
    due = (utcnow() + timedelta(days=2)).isoformat()
    response = await cf.http.post(
        f"/api/calls/{call_id}/disposition",
        json={"note": "liked the demo", "next_step": "send the contract", "next_step_at": due, "stage_id": stages[1]},
        headers=manager["headers"],
    )
    assert response.status_code == 201, response.text
    assert (await cf.http.get(f"/api/deals/{deal['id']}", headers=manager["headers"])).json()["stage_id"] == stages[1]
    [task] = await _tasks(cf, manager["headers"])
    assert (task["kind"], task["title"], task["deal_id"]) == ("follow_up", "send the contract", deal["id"])
    reason = (await cf.http.get("/api/refusal-reasons", headers=manager["headers"])).json()[2]
    lost = await cf.http.post(
        f"/api/calls/{call_id}/disposition", json={"refusal_reason_id": reason["id"]}, headers=manager["headers"]
    )
    assert lost.status_code == 201
    assert (await cf.http.get(f"/api/deals/{deal['id']}", headers=manager["headers"])).json()["status"] == "lost"
    again = await cf.http.post(
        f"/api/calls/{call_id}/disposition", json={"stage_id": stages[2]}, headers=manager["headers"]
    )
    assert again.status_code == 409  # a lost deal does not move; nothing of this disposition is kept


async def test_the_report_counts_deals_given_up_within_five_touches(cf, admin):
    manager = await cf.user("Olga", Role.operator)
    reason = (await cf.http.get("/api/refusal-reasons", headers=admin["headers"])).json()[2]["id"]
    for touches in (2, 5, 7):
        contact_id = await new_contact(cf, manager["headers"])
        deal = (await cf.http.post("/api/deals", json={"contact_id": contact_id}, headers=manager["headers"])).json()
        for _ in range(touches):
            body = {"contact_id": contact_id, "deal_id": deal["id"], "channel": "message"}
            assert (await cf.http.post("/api/touches", json=body, headers=manager["headers"])).status_code == 201
        await cf.http.post(
            f"/api/deals/{deal['id']}/lose", json={"refusal_reason_id": reason}, headers=manager["headers"]
        )
    report = (await cf.http.get("/api/reports/funnel", params={"by": "manager"}, headers=admin["headers"])).json()
    assert report["team"]["lost_within_5_touches"] == 2
    assert report["managers"][0]["lost_within_5_touches"] == 2


async def test_calls_processed_in_one_batch_are_a_touch_each(settings):
    """A backlog (stored before a restart) is processed in one batch: every call is one touch of its
    client, answered or not, dated when it started."""
    scripts = [missed("b-1", T), answered("b-2", T + 60), answered("b-3", T + 120, OTHER)]
    await stored_before_a_crash(settings.database_url, [webhook for script in scripts for webhook in script])
    async with running(settings) as cf:
        supervisor = await cf.user("sam", Role.supervisor)
        await cf.settle()
        calls = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
        by_id = {call["id"]: call for call in calls}
        touches = (await cf.http.get("/api/touches", headers=supervisor["headers"])).json()["items"]
        assert sorted((by_id[t["call_id"]]["external_id"], t["channel"], t["answered"]) for t in touches) == [
            ("b-1", "call", False),
            ("b-2", "call", True),
            ("b-3", "call", True),
        ]
        assert all(t["contact_id"] == by_id[t["call_id"]]["contact_id"] for t in touches)
        assert all(t["at"] == by_id[t["call_id"]]["started_at"] for t in touches)
