"""Plans, pay rules and the team's month through the real API: the issue's worked example of the
variable pay, exact to the kopeck; meetings paid when held, not when booked; who sees which lines;
and one contact's whole way from a collector's import to a won deal."""

import calendar
import csv
import io
import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.auth.models import Role
from app.database import utcnow
from tests.support.lists import ALL_DAY, next_of, result
from tests.support.team import confirmed_contacts, deal_through

MOSCOW = ZoneInfo("Europe/Moscow")


async def person(cf, supervisor, name: str, role: str, extension: str) -> dict:
    user = await cf.user(name, Role.operator, extension=extension)
    patched = await cf.http.patch(
        f"/api/operators/{user['id']}", json={"team_roles": [role]}, headers=supervisor["headers"]
    )
    assert patched.status_code == 200, patched.text
    return user


async def rules(cf, admin) -> None:
    for role, rule in (
        ("collector", {"per_confirmed_contact": "50.00"}),
        ("first_line", {"per_meeting": "3000.00"}),
        ("closer", {"fixed": "30000.00", "share_of_won_pct": "5", "bonus_at_plan": "10000.00"}),
    ):
        response = await cf.http.put(f"/api/pay-rules/{role}", json=rule, headers=admin["headers"])
        assert response.status_code == 200, response.text
    shown = {r["team_role"]: r for r in (await cf.http.get("/api/pay-rules", headers=admin["headers"])).json()}
    assert shown["first_line"]["per_meeting"] == "3000.00" and shown["first_line"]["meeting_counted"] == "held"
    assert shown["closer"]["share_of_won_pct"] == "5.00"


async def active_sales(cf, headers) -> tuple[dict, dict[str, int]]:
    pipeline = next(
        p for p in (await cf.http.get("/api/pipelines", headers=headers)).json() if p["name"] == "active sales"
    )
    return pipeline, {s["name"]: s["id"] for s in pipeline["stages"]}


async def test_the_worked_example_of_a_months_variable_pay(cf, supervisor, admin):
    headers = supervisor["headers"]
    olga = await person(cf, supervisor, "Olga", "collector", "301")
    anna = await person(cf, supervisor, "Anna", "first_line", "101")
    boris = await person(cf, supervisor, "Boris", "first_line", "102")
    kirill = await person(cf, supervisor, "Kirill", "closer", "201")
    await rules(cf, admin)
    month = datetime.now(MOSCOW).strftime("%Y-%m")
    plan = {"operator_id": kirill["id"], "month": month, "team_role": "closer", "target": 5}
    assert (await cf.http.put("/api/plans", json=plan, headers=headers)).status_code == 200
    assert (await cf.http.put("/api/plans", json=plan | {"target": 4}, headers=anna["headers"])).status_code == 403
    pipeline, stages = await active_sales(cf, headers)
    now, last_month = utcnow(), utcnow() - timedelta(days=40)
    amounts = iter([299_999.99, 300_000.01, 600_000.00])

    def month_of_work(session):
        confirmed_contacts(session, collector=olga["id"], how_many=800, at=now)
        confirmed_contacts(session, collector=olga["id"], how_many=5, at=last_month)  # not this month's
        deal = {"session": session, "pipeline": pipeline, "stages": stages, "closer": kirill["id"], "at": now}
        for n in range(18):  # Anna: 18 meetings held, 4 of them signed, 2 of those won
            until = "payment" if n < 2 else "contract" if n < 4 else "meeting held"
            deal_through(**deal, booker=anna["id"], until=until, amount=next(amounts) if n < 2 else None)
        for n in range(12):  # Boris: 12 held, 2 signed, 1 won
            until = "payment" if n < 1 else "contract" if n < 2 else "meeting held"
            deal_through(**deal, booker=boris["id"], until=until, amount=next(amounts) if n < 1 else None)
        for _ in range(5):  # booked, not held (yet): a booking alone earns nothing
            deal_through(**deal, booker=anna["id"], until="meeting booked")
        deal_through(**deal | {"at": last_month}, booker=boris["id"], until="payment", amount=500_000.0)

    await cf.db.run(month_of_work)
    response = await cf.http.get("/api/reports/team", params={"month": month}, headers=headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["pay_kind"] == "variable"
    lines = {line["name"]: line for line in report["people"]}
    assert {name: line["variable_pay"] for name, line in lines.items()} == {
        "Olga": "40000.00",
        "Anna": "54000.00",
        "Boris": "36000.00",
        "Kirill": "100000.00",
    }
    assert [(p["item"], p["basis"], p["rate"], p["amount"]) for p in lines["Kirill"]["pay"]] == [
        ("fixed", None, "30000.00", "30000.00"),
        ("share_of_won", "1200000.00", "5.00%", "60000.00"),
        ("bonus_at_plan", None, "10000.00", "10000.00"),
    ]
    assert (lines["Kirill"]["plan"], lines["Kirill"]["fact"], lines["Kirill"]["plan_met"]) == (5, 6, True)
    assert (lines["Kirill"]["meetings"], lines["Kirill"]["contracts"], lines["Kirill"]["meetings_to_contracts"]) == (
        30,
        6,
        20.0,
    )
    assert (lines["Anna"]["fact"], lines["Anna"]["contracts"], lines["Anna"]["meetings_to_contracts"]) == (18, 4, 22.2)
    assert lines["Olga"]["fact"] == 800 and lines["Olga"]["counts"] == "contacts confirmed"
    assert report["team"]["closer"] == {"plan": 5, "fact": 6, "met": True}

    own = (await cf.http.get("/api/reports/team", params={"month": month}, headers=anna["headers"])).json()
    assert [line["name"] for line in own["people"]] == ["Anna"] and own["team"] == {}
    as_csv = await cf.http.get("/api/reports/team", params={"month": month, "format": "csv"}, headers=headers)
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    kirill_row = next(row for row in rows if row["name"] == "Kirill")
    assert (kirill_row["share_of_won"], kirill_row["variable_pay"]) == ("60000.00", "100000.00")
    bad = await cf.http.get("/api/reports/team", params={"month": "2026-13"}, headers=headers)
    assert bad.status_code == 422

    # Paid per booking instead, the five meetings not held yet count too.
    await cf.http.put(
        "/api/pay-rules/first_line",
        json={"per_meeting": "3000.00", "meeting_counted": "booked"},
        headers=admin["headers"],
    )
    report = (await cf.http.get("/api/reports/team", params={"month": month}, headers=headers)).json()
    assert {line["name"]: line["variable_pay"] for line in report["people"]}["Anna"] == "69000.00"


async def test_one_contact_from_a_collectors_import_to_a_won_deal(cf, supervisor, admin):
    headers = supervisor["headers"]
    olga = await person(cf, supervisor, "Olga", "collector", "301")
    anna = await person(cf, supervisor, "Anna", "first_line", "101")
    kirill = await person(cf, supervisor, "Kirill", "closer", "201")
    await rules(cf, admin)
    olga_headers = olga["headers"] | {"Content-Type": "text/csv"}
    text = "phone,name\n+74951002001,Ivan\n+74951002002,Petr\n"
    assert (await cf.http.post("/api/contacts/import", content=text.encode(), headers=olga_headers)).status_code == 200
    pipeline, stages = await active_sales(cf, headers)
    body = {"name": "cold", "pipeline_id": pipeline["id"], "basis": "b2b", "hours": ALL_DAY}
    call_list = (await cf.http.post("/api/lists", json=body, headers=headers)).json()
    await cf.http.post(f"/api/lists/{call_list['id']}/contacts", json={"no_owner": True}, headers=headers)
    await cf.http.put(f"/api/lists/{call_list['id']}/members", json=[{"operator_id": anna["id"]}], headers=headers)

    await result(cf, await next_of(cf, call_list, anna), anna, "not_reached")
    await result(cf, await next_of(cf, call_list, anna), anna, "meeting", meeting_at="2030-01-10T10:00:00+03:00")
    [deal] = [
        d for d in (await cf.http.get("/api/deals", params={"owner_id": kirill["id"]}, headers=headers)).json()["items"]
    ]
    for stage in ("meeting held", "contract"):
        moved = await cf.http.post(
            f"/api/deals/{deal['id']}/stage", json={"stage_id": stages[stage]}, headers=kirill["headers"]
        )
        assert moved.status_code == 200, moved.text
    won = await cf.http.post(f"/api/deals/{deal['id']}/win", json={"amount": 150_000.50}, headers=headers)
    assert won.status_code == 200 and won.json()["amount"] == 150_000.50

    month = datetime.now(MOSCOW).strftime("%Y-%m")
    plan = {"operator_id": anna["id"], "month": month, "team_role": "first_line", "target": 20}
    assert (await cf.http.put("/api/plans", json=plan, headers=headers)).status_code == 200
    day = (await cf.http.get("/api/reports/team/today", headers=anna["headers"])).json()
    year, number = (int(part) for part in month.split("-"))
    weekdays = sum(1 for d in range(1, calendar.monthrange(year, number)[1] + 1) if date(year, number, d).weekday() < 5)
    assert (day["attempts"], day["reached"], day["meetings"], day["month_plan"]) == (2, 1, 1, 20)
    assert day["day_share"] == math.ceil(20 / weekdays)

    report = (await cf.http.get("/api/reports/team", headers=headers)).json()
    lines = {line["name"]: line for line in report["people"]}
    assert (lines["Olga"]["contacts"], lines["Olga"]["meetings"], lines["Olga"]["contracts"]) == (1, 1, 1)
    assert lines["Olga"]["variable_pay"] == "50.00"
    assert (lines["Anna"]["contacts"], lines["Anna"]["fact"], lines["Anna"]["variable_pay"]) == (1, 1, "3000.00")
    assert lines["Kirill"]["fact"] == 1
    assert lines["Kirill"]["pay"][1] == {
        "item": "share_of_won",
        "basis": "150000.50",
        "rate": "5.00%",
        "amount": "7500.03",  # 7,500.025 to the kopeck, half up
    }
