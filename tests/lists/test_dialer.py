"""The dialer's next contact: claimed by one manager at a time across lists and processes, never
another manager's client or a do-not-call number, within calling hours in the contact's own zone;
and each result's consequence for the list, the deal and the register."""

import asyncio
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.auth.models import Role
from telephony.mango.script import InboundCall
from tests.support import generic
from tests.support.calls import T, play
from tests.support.lists import ALL_DAY, next_of, result


async def setup(cf, supervisor, *, phones: list[str], members: int = 2, **list_fields):
    headers = supervisor["headers"]
    operators = [await cf.user(f"caller{n}", Role.operator, extension=f"20{n}") for n in range(members)]
    pipelines = (await cf.http.get("/api/pipelines", headers=headers)).json()
    body = {"name": "cold", "pipeline_id": pipelines[0]["id"], "basis": "b2b", "hours": ALL_DAY} | list_fields
    created = await cf.http.post("/api/lists", json=body, headers=headers)
    assert created.status_code == 201, created.text
    call_list = created.json()
    contacts = []
    for phone in phones:
        response = await cf.http.post(
            "/api/contacts", json={"phone": phone, "name": f"client {phone[-4:]}"}, headers=headers
        )
        assert response.status_code == 201, response.text
        contacts.append(response.json())
    ids = [c["id"] for c in contacts]
    added = await cf.http.post(f"/api/lists/{call_list['id']}/contacts", json={"contact_ids": ids}, headers=headers)
    assert added.json() == {"added": len(ids)}
    members_body = [{"operator_id": op["id"]} for op in operators]
    assert (
        await cf.http.put(f"/api/lists/{call_list['id']}/members", json=members_body, headers=headers)
    ).status_code == 200
    return call_list, operators, contacts


async def test_two_managers_asking_at_once_never_get_one_contact(cf, supervisor):
    phones = [f"+7495100{n:04d}" for n in range(24)]
    call_list, operators, _ = await setup(cf, supervisor, phones=phones, members=3)

    async def work(operator) -> list[str]:
        worked = []
        while (attempt := await next_of(cf, call_list, operator)) is not None:
            worked.append(attempt["contact"]["phone"])
            await result(cf, attempt, operator, "wrong_number")
        return worked

    worked = await asyncio.gather(*(work(op) for op in operators))
    everyone = [phone for mine in worked for phone in mine]
    assert sorted(everyone) == sorted(phones)  # each contact once, none left
    detail = (await cf.http.get(f"/api/lists/{call_list['id']}", headers=supervisor["headers"])).json()
    assert detail["progress"] | {"refusals": []} == {
        "contacts": 24,
        "left": 0,
        "due_now": 0,
        "attempts": 24,
        "reached": 24,
        "meetings": 0,
        "refusals": [],
    }


async def test_one_contact_at_a_time_and_claims_across_lists(cf, supervisor):
    call_list, (anna, boris), contacts = await setup(cf, supervisor, phones=["+74951000001", "+74951000002"])
    first = await next_of(cf, call_list, anna)
    assert (await next_of(cf, call_list, anna))["attempt_id"] == first["attempt_id"]  # the open one again
    assert first["basis"] == "b2b" and first["attempts_before"] == 0
    other = await cf.http.post(
        "/api/lists",
        json={"name": "warm", "pipeline_id": call_list["pipeline_id"], "basis": "consent", "hours": ALL_DAY},
        headers=supervisor["headers"],
    )
    second_list = other.json()
    await cf.http.post(
        f"/api/lists/{second_list['id']}/contacts",
        json={"contact_ids": [first["contact"]["id"]]},
        headers=supervisor["headers"],
    )
    await cf.http.put(
        f"/api/lists/{second_list['id']}/members", json=[{"operator_id": boris["id"]}], headers=supervisor["headers"]
    )
    assert await next_of(cf, second_list, boris) is None  # anna holds it (and owns it since her attempt)
    busy = await cf.http.post(f"/api/lists/{second_list['id']}/next", headers=anna["headers"])
    assert busy.status_code == 403  # not her list
    boris_first = await next_of(cf, call_list, boris)
    assert boris_first["contact"]["id"] != first["contact"]["id"]
    released = await cf.http.post(f"/api/attempts/{first['attempt_id']}/release", headers=anna["headers"])
    assert released.json()["status"] == "released"
    again = await next_of(cf, call_list, anna)
    assert again["contact"]["id"] == first["contact"]["id"]  # due again at once; still hers to work


async def test_owned_and_do_not_call_contacts_stay_out(cf, supervisor):
    phones = ["+74951000011", "+74951000012", "+74951000013"]
    call_list, (anna, boris), contacts = await setup(cf, supervisor, phones=phones)
    headers = supervisor["headers"]
    await cf.http.patch(f"/api/contacts/{contacts[0]['id']}", json={"owner_id": boris["id"]}, headers=headers)
    await cf.http.post("/api/do-not-call", json={"phone": phones[1], "source": "register"}, headers=headers)
    attempt = await next_of(cf, call_list, anna)
    assert attempt["contact"]["phone"] == phones[2]
    await result(cf, attempt, anna, "do_not_call")
    assert await next_of(cf, call_list, anna) is None
    listed = (await cf.http.get("/api/do-not-call", headers=headers)).json()["items"]
    assert {entry["phone"] for entry in listed} == {phones[1], phones[2]}
    boris_turn = await next_of(cf, call_list, boris)
    assert boris_turn["contact"]["phone"] == phones[0]  # his own client


async def test_calling_hours_in_the_contacts_own_zone(cf, supervisor):
    moscow = datetime.now(ZoneInfo("Europe/Moscow"))
    start = max(moscow - timedelta(hours=1), moscow.replace(hour=0, minute=0, second=0, microsecond=0))
    end = "24:00" if moscow.hour >= 23 else (moscow + timedelta(hours=1)).strftime("%H:%M")
    hours = {day: [[start.strftime("%H:%M"), end]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    vladivostok, mobile, moscow_line = "+74232000001", "+79001000001", "+74951000021"
    call_list, (anna, _), _ = await setup(
        cf, supervisor, phones=[vladivostok, mobile, moscow_line], hours=hours, timezone="Europe/Moscow"
    )
    offered = []
    while (attempt := await next_of(cf, call_list, anna)) is not None:
        offered.append(
            (attempt["contact"]["phone"], attempt["contact"]["timezone"], attempt["contact"]["timezone_guessed"])
        )
        await result(cf, attempt, anna, "wrong_number")
    # Vladivostok is 7 hours ahead of Moscow: outside the hour around Moscow's now.
    assert sorted(offered) == sorted([(mobile, "Europe/Moscow", True), (moscow_line, "Europe/Moscow", False)])


async def test_results_retry_spacing_limit_refusal_and_tasks(cf, supervisor, admin):
    call_list, (anna, _), contacts = await setup(
        cf,
        supervisor,
        phones=["+74951000031", "+74951000032", "+74951000033"],
        max_attempts=2,
        retry_after_hours=0.0003,
    )
    reasons = (await cf.http.get("/api/refusal-reasons", headers=admin["headers"])).json()
    outcomes = [
        ("busy", {}),
        ("refused", {"refusal_reason_id": reasons[0]["id"]}),
        ("meeting", {"meeting_at": "2030-01-10T10:00:00+03:00", "note": "office"}),
    ]
    worked = {}
    for outcome, fields in outcomes:  # one contact at a time, in the order they were listed
        attempt = await next_of(cf, call_list, anna)
        worked[outcome] = attempt["contact"]["phone"]
        await result(cf, attempt, anna, outcome, **fields)
    busy, refusing = worked["busy"], worked["refused"]
    no_reason = await next_of(cf, call_list, anna)
    assert no_reason is None  # the busy one waits ~1 s before its retry
    await asyncio.sleep(1.2)
    retry = await next_of(cf, call_list, anna)
    assert retry["contact"]["phone"] == busy and retry["attempts_before"] == 1
    await result(cf, retry, anna, "not_reached")
    await asyncio.sleep(1.2)
    assert await next_of(cf, call_list, anna) is None  # two tries were the limit
    deals = (await cf.http.get("/api/deals", params={"owner_id": anna["id"]}, headers=supervisor["headers"])).json()[
        "items"
    ]
    by_contact = {deal["contact_id"]: deal for deal in deals}
    refused_contact = next(c for c in contacts if c["phone"] == refusing)
    assert by_contact[refused_contact["id"]]["status"] == "lost"  # a deal started at the first attempt
    assert len(by_contact) == 3
    tasks = (await cf.http.get("/api/tasks", headers=anna["headers"])).json()["items"]
    assert [t["due_at"] for t in tasks] == ["2030-01-10T07:00:00Z"]
    bad = await cf.http.post(f"/api/lists/{call_list['id']}/next", headers=anna["headers"])
    assert bad.status_code == 204


async def test_a_manual_list_matches_the_managers_own_call_by_number_and_time(cf, supervisor):
    call_list, (anna, _), _ = await setup(cf, supervisor, phones=["+74951000041"], mode="manual")
    attempt = await next_of(cf, call_list, anna)
    t = int(time.time())
    events = [
        {
            "event": "outgoing",
            "call_id": "own-1",
            "to": "84951000041",
            "line": "+74951234567",
            "extension": "200",
            "timestamp": t,
        },
        {"event": "answered", "call_id": "own-1", "extension": "200", "timestamp": t + 5},
        {"event": "ended", "call_id": "own-1", "extension": "200", "timestamp": t + 65},
        {"event": "ended", "call_id": "own-1", "timestamp": t + 65},
    ]
    for event in events:  # she dials from her own phone (extension 200): the PBX reports the call
        assert (await generic.send(cf, event)).status_code == 200
    await cf.settle()
    finished = await result(cf, attempt, anna, "callback", callback_at="2030-01-10T10:00:00+03:00")
    assert finished["dial_status"] == "connected" and finished["call_id"] is not None


async def test_the_card_warns_when_a_colleague_owns_another_contact_of_the_company(cf, supervisor):
    call_list, (anna, boris), contacts = await setup(cf, supervisor, phones=["+74951000051"])
    headers = supervisor["headers"]
    await cf.http.patch(f"/api/contacts/{contacts[0]['id']}", json={"company": "Агро"}, headers=headers)
    colleague = (
        await cf.http.post("/api/contacts", json={"phone": "+74951000052", "company": "агро"}, headers=headers)
    ).json()
    await cf.http.patch(f"/api/contacts/{colleague['id']}", json={"owner_id": boris["id"]}, headers=headers)
    attempt = await next_of(cf, call_list, anna)
    assert attempt["company_owner"] == {"id": boris["id"], "name": "caller1"}  # a colleague works the company


async def test_the_active_sales_funnel_follows_the_results(cf, supervisor, admin):
    pipelines = {p["name"]: p for p in (await cf.http.get("/api/pipelines", headers=supervisor["headers"])).json()}
    active = pipelines["active sales"]
    stages = {s["name"]: s["id"] for s in active["stages"]}
    assert list(stages) == ["reached", "meeting booked", "meeting held", "contract", "payment"]
    assert (active["meeting_stage_id"], active["handoff_stage_id"]) == (stages["meeting booked"], stages["contract"])
    phones = ["+74951000061", "+74951000062", "+74951000063"]
    call_list, (anna, _), contacts = await setup(cf, supervisor, phones=phones, pipeline_id=active["id"])
    reasons = (await cf.http.get("/api/refusal-reasons", headers=admin["headers"])).json()
    for outcome, fields in (
        ("meeting", {"meeting_at": "2030-01-10T10:00:00+03:00"}),
        ("refused", {"refusal_reason_id": reasons[0]["id"]}),
        ("busy", {}),
    ):
        await result(cf, await next_of(cf, call_list, anna), anna, outcome, **fields)
    deals = (
        await cf.http.get("/api/deals", params={"pipeline_id": active["id"]}, headers=supervisor["headers"])
    ).json()
    by_phone = {next(c["phone"] for c in contacts if c["id"] == d["contact_id"]): d for d in deals["items"]}
    assert (by_phone[phones[0]]["stage_id"], by_phone[phones[0]]["status"]) == (stages["meeting booked"], "open")
    assert (by_phone[phones[1]]["stage_id"], by_phone[phones[1]]["status"]) == (stages["reached"], "lost")
    assert (by_phone[phones[2]]["stage_id"], by_phone[phones[2]]["status"]) == (None, "open")  # not reached yet


async def test_the_callback_list_and_call_lists_share_one_claim_per_client(cf, supervisor):
    headers = supervisor["headers"]
    call_list, (anna, boris), _ = await setup(cf, supervisor, phones=[])
    await play(cf, InboundCall("cl-1", "79001234567", T).missed(rung=()))
    [callback] = (await cf.http.get("/api/callbacks", headers=headers)).json()["items"]
    contact = callback["contact_id"]
    await cf.http.post(f"/api/lists/{call_list['id']}/contacts", json={"contact_ids": [contact]}, headers=headers)

    taken = await cf.http.post(f"/api/callbacks/{callback['id']}/claim", headers=anna["headers"])
    assert taken.status_code == 200, taken.text
    assert await next_of(cf, call_list, boris) is None  # anna is calling them back
    done = await cf.http.post(
        f"/api/callbacks/{callback['id']}/complete", json={"result": "asked for a quote"}, headers=anna["headers"]
    )
    assert done.status_code == 200, done.text
    attempt = await next_of(cf, call_list, boris)  # given back with the result
    assert attempt["contact"]["id"] == contact

    await play(cf, InboundCall("cl-2", "79001234567", T + 3600).missed(rung=()))
    [again] = (await cf.http.get("/api/callbacks", params={"status": "open"}, headers=headers)).json()["items"]
    refused = await cf.http.post(
        f"/api/callbacks/{again['id']}/claim", headers=supervisor["headers"], json={"assignee_id": anna["id"]}
    )
    assert refused.status_code == 409 and "call list" in refused.json()["detail"]  # boris holds them now


async def test_a_collector_imports_contacts_credited_to_them_and_confirmed_when_reached(cf, supervisor):
    headers = supervisor["headers"]
    olga = (
        await cf.http.post(
            "/api/operators", json={"name": "olga", "extension": "301", "team_roles": ["collector"]}, headers=headers
        )
    ).json()
    assert olga["team_roles"] == ["collector"]
    ivan = await cf.user("ivan", Role.operator, extension="302")
    text = "phone,name,company\n+74951000071,Anna,Agro\n+74951000072,Boris,Agro\n"
    csv_headers = {"Content-Type": "text/csv"}
    refused = await cf.http.post("/api/contacts/import", content=text.encode(), headers=ivan["headers"] | csv_headers)
    assert refused.status_code == 403  # not a collector
    patched = await cf.http.patch(f"/api/operators/{ivan['id']}", json={"team_roles": ["first_line"]}, headers=headers)
    assert patched.json()["team_roles"] == ["first_line"]
    olga_headers = {"Authorization": f"Bearer {olga['token']}"}
    imported = await cf.http.post("/api/contacts/import", content=text.encode(), headers=olga_headers | csv_headers)
    assert imported.status_code == 200, imported.text
    contacts = (await cf.http.get("/api/contacts", headers=headers)).json()["items"]
    assert {c["collected_by"] for c in contacts} == {olga["id"]}
    exported = (await cf.http.get("/api/contacts/export", headers=headers)).text.splitlines()
    assert exported[0].endswith("timezone,collected_by,created_at") and ",olga," in exported[1]

    call_list, (anna, _), _ = await setup(cf, supervisor, phones=[])
    ids = [c["id"] for c in contacts]
    await cf.http.post(f"/api/lists/{call_list['id']}/contacts", json={"contact_ids": ids}, headers=headers)
    await result(cf, await next_of(cf, call_list, anna), anna, "busy")
    await result(cf, await next_of(cf, call_list, anna), anna, "callback", callback_at="2030-01-10T10:00:00+03:00")
    confirmed = {
        c["phone"]: c["confirmed_at"] for c in (await cf.http.get("/api/contacts", headers=headers)).json()["items"]
    }
    assert confirmed["+74951000071"] is None and confirmed["+74951000072"] is not None  # reached a person


async def test_adding_contacts_by_id_in_their_tens_of_thousands(cf, supervisor):
    call_list, _, contacts = await setup(cf, supervisor, phones=["+74951000081"])
    ids = [contacts[0]["id"], *range(10_000_000, 10_040_000)]  # more than a database takes as parameters
    response = await cf.http.post(
        f"/api/lists/{call_list['id']}/contacts", json={"contact_ids": ids}, headers=supervisor["headers"]
    )
    assert response.status_code == 422 and "no contact 10000000" in response.json()["detail"]


async def test_a_contacts_file_imported_into_a_list(cf, supervisor):
    call_list, (anna, _), contacts = await setup(cf, supervisor, phones=["+74951000091"])
    text = "phone,name,timezone\n+7 495 100-00-91,Known,\n8 (423) 200-00-92,New,Asia/Vladivostok\n"
    url = f"/api/lists/{call_list['id']}/contacts/import"
    csv_headers = {"Content-Type": "text/csv"}
    refused = await cf.http.post(url, content=text.encode(), headers=anna["headers"] | csv_headers)
    assert refused.status_code == 403
    imported = await cf.http.post(url, content=text.encode(), headers=supervisor["headers"] | csv_headers)
    assert imported.json() == {"rows": 2, "created": 1, "updated": 0, "unchanged": 1, "added": 1}
    bad = await cf.http.post(url, content=b"phone\nnot a number\n", headers=supervisor["headers"] | csv_headers)
    assert bad.status_code == 422
    detail = (await cf.http.get(f"/api/lists/{call_list['id']}", headers=supervisor["headers"])).json()
    assert detail["progress"]["contacts"] == 2
