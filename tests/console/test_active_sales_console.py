"""Active sales in Chromium: a supervisor sets a call list up (settings, members, a contacts file)
and lists a number as do-not-call; a collector imports the contacts they found from their panel;
the team page shows a first-line manager's meeting, its pay, and takes a plan — each checked
through the API."""

import asyncio

from selenium.webdriver.common.by import By

from tests.console.browser import chromium
from tests.support.floor import PASSWORD

ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def as_first_line(floor, name: str, extension: str, role: str = "first_line") -> dict:
    person = await floor.person(name, extension=extension)
    await floor.api("PATCH", f"/api/operators/{person['id']}", json={"team_roles": [role]})
    return person


async def test_a_supervisor_sets_up_a_call_list_and_the_do_not_call_register(floor, screens, tmp_path):
    anna = await as_first_line(floor, "anna", "201")
    contacts = tmp_path / "весна.csv"
    contacts.write_text("phone,name,company\n+7 495 100-20-01,Иван,ООО Весна\n8 423 200-20-02,Пётр,ООО Весна\n")
    with chromium(size=(1366, 1000)) as desk:
        await asyncio.to_thread(desk.sign_in, floor.base_url, "boss", PASSWORD)
        desk.click("a[data-tab=lists]")
        new_list = "#new-list .list-form"
        desk.type(f"{new_list} input[name=name]", "Весенняя база")
        choose = (
            "const s = document.querySelector(arguments[0]);"
            " s.value = [...s.options].find(o => o.text === arguments[1]).value"
        )
        desk.script(choose, f"{new_list} select[name=pipeline_id]", "active sales")
        desk.click(f"{new_list} button[type=submit]")
        await asyncio.to_thread(desk.text_of, "#list-editor h3", "Весенняя база")
        desk.click(f"#list-editor input[name=member][value='{anna['id']}']")
        desk.click("#list-editor fieldset + button[type=submit]")
        desk.driver.find_element(By.CSS_SELECTOR, "#list-editor input[type=file]").send_keys(str(contacts))
        await asyncio.to_thread(desk.text_of, "#notices", "Добавлено в список: 2")
        await asyncio.to_thread(desk.text_of, "#call-lists tr[data-list='Весенняя база'] td[data-figure=contacts]", "2")
        desk.type("#dnc-add input[name=phone]", "8 (495) 100-20-01")
        desk.type("#dnc-add input[name=source]", "просьба абонента")
        desk.click("#dnc-add button[type=submit]")
        await asyncio.to_thread(desk.text_of, "#do-not-call", "просьба абонента")
        desk.script("window.scrollTo(0, 0)")
        desk.screenshot(screens / "desk-lists.png")
    [call_list] = await floor.api("GET", "/api/lists")
    detail = await floor.api("GET", f"/api/lists/{call_list['id']}")
    assert (call_list["name"], call_list["basis"], detail["members"]) == ("Весенняя база", "b2b", [anna["id"]])
    assert detail["progress"]["contacts"] == 2
    [listed] = (await floor.api("GET", "/api/do-not-call"))["items"]
    assert (listed["phone"], listed["source"]) == ("+74951002001", "просьба абонента")
    await floor.api("PATCH", f"/api/lists/{call_list['id']}", json={"hours": ALL_DAY})  # whatever the hour now
    attempt = await floor.api("POST", f"/api/lists/{call_list['id']}/next", headers=anna["headers"])
    assert attempt["contact"]["phone"] == "+74232002002"  # the other number is on the do-not-call register


async def test_a_collector_imports_the_contacts_they_found(floor, screens, tmp_path):
    olga = await as_first_line(floor, "olga", "301", role="collector")
    found = tmp_path / "found.csv"
    found.write_text("phone,name\n+74951003001,Анна\n+74951003002,Борис\n")
    with chromium() as panel:
        await asyncio.to_thread(panel.sign_in, floor.base_url, "olga", PASSWORD)
        await asyncio.to_thread(panel.text_of, "#collector-import", "Импорт контактов")
        panel.driver.find_element(By.CSS_SELECTOR, "#collector-import input[type=file]").send_keys(str(found))
        await asyncio.to_thread(panel.text_of, "#import-result", "новых контактов: 2")
        await asyncio.to_thread(panel.text_of, "#my-month", "сборщик базы")  # her month: her own line
        panel.screenshot(screens / "collector-import.png")
    contacts = (await floor.api("GET", "/api/contacts"))["items"]
    assert {c["phone"]: c["collected_by"] for c in contacts} == {"+74951003001": olga["id"], "+74951003002": olga["id"]}


async def test_the_team_page_shows_the_month_and_takes_a_plan(floor, screens):
    anna = await as_first_line(floor, "anna", "201")
    await floor.api("PUT", "/api/pay-rules/first_line", json={"per_meeting": "3000.00", "meeting_counted": "booked"})
    pipeline = next(p for p in await floor.api("GET", "/api/pipelines") if p["name"] == "active sales")
    call_list = await floor.api(
        "POST", "/api/lists", json={"name": "холодная", "pipeline_id": pipeline["id"], "basis": "b2b", "hours": ALL_DAY}
    )
    contact = await floor.api("POST", "/api/contacts", json={"phone": "+74951004001", "name": "Клиент"})
    await floor.api("POST", f"/api/lists/{call_list['id']}/contacts", json={"contact_ids": [contact["id"]]})
    await floor.api("PUT", f"/api/lists/{call_list['id']}/members", json=[{"operator_id": anna["id"]}])
    attempt = await floor.api("POST", f"/api/lists/{call_list['id']}/next", headers=anna["headers"])
    meeting = {"result": "meeting", "meeting_at": "2030-01-10T10:00:00+03:00"}
    await floor.api("POST", f"/api/attempts/{attempt['attempt_id']}/result", json=meeting, headers=anna["headers"])
    with chromium(size=(1366, 900)) as desk:
        await asyncio.to_thread(desk.sign_in, floor.base_url, "boss", PASSWORD)
        desk.click("a[data-tab=team]")
        row = await asyncio.to_thread(desk.text_of, "#team tr[data-person=anna]", "3 000,00 ₽")
        assert "первая линия" in row.text and "за встречу" in row.text
        desk.type("#team tr[data-person=anna] input[name=target]", "20")
        desk.click("#team tr[data-person=anna] form button[type=submit]")
        await asyncio.to_thread(desk.text_of, "#notices", "План сохранён")
        await asyncio.to_thread(desk.text_of, "#team-plans", "1 / 20")
        desk.screenshot(screens / "desk-team.png")
    [plan] = await floor.api("GET", "/api/plans")
    assert (plan["operator_id"], plan["team_role"], plan["target"]) == (anna["id"], "first_line", 20)
