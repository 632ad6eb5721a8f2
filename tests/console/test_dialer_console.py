"""The first-line manager's dialer in Chromium: three contacts of a call list worked one after
another — the card with the client's local time and why they may be called, results by key and by
button, the next contact coming by itself — checked through the API."""

import asyncio

from tests.console.browser import chromium
from tests.support.floor import PASSWORD

ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
PHONES = ["+74232000101", "+79001000102", "+74951000103"]  # Vladivostok, a mobile, Moscow


async def test_a_first_line_manager_works_three_contacts(floor, screens):
    anna = await floor.person("anna", extension="201")
    pipeline = next(p for p in await floor.api("GET", "/api/pipelines") if p["name"] == "sales")
    body = {"name": "холодная база", "pipeline_id": pipeline["id"], "basis": "b2b", "hours": ALL_DAY}
    call_list = await floor.api("POST", "/api/lists", json=body)
    ids = [
        (
            await floor.api(
                "POST", "/api/contacts", json={"phone": number, "name": f"Клиент {n}", "company": "ООО Ромашка"}
            )
        )["id"]
        for n, number in enumerate(PHONES, start=1)
    ]
    await floor.api("POST", f"/api/lists/{call_list['id']}/contacts", json={"contact_ids": ids})
    await floor.api("PUT", f"/api/lists/{call_list['id']}/members", json=[{"operator_id": anna["id"]}])
    with chromium() as panel:
        await asyncio.to_thread(panel.sign_in, floor.base_url, "anna", PASSWORD)
        await asyncio.to_thread(panel.text_of, "#dialer", "холодная база")
        panel.click("#dial-next")
        card = await asyncio.to_thread(panel.text_of, "#dialer .dial-card", "Клиент 1")
        assert "+7 423 200-01-01" in card.text and "Asia/Vladivostok" in card.text and "B2B" in card.text
        panel.screenshot(screens / "dialer-card.png")
        panel.driver.find_element("css selector", "body").send_keys("1")  # 1: not reached
        card = await asyncio.to_thread(panel.text_of, "#dialer .dial-card", "Клиент 2")  # the next comes by itself
        assert "зона угадана" in card.text
        panel.click("#dialer button[data-result=busy]")
        await asyncio.to_thread(panel.text_of, "#dialer .dial-card", "Клиент 3")
        panel.type("#dialer input[name=note]", "просит прислать КП")
        panel.script("document.querySelector('#dialer input[name=at]').value = '2030-01-01T10:00'")
        panel.click("#dialer button[data-result=meeting]")
        await asyncio.to_thread(panel.text_of, "#dialer", "Сейчас звонить некому")
        await asyncio.to_thread(panel.text_of, "#dial-today", "звонков 3, дозвонов 1")  # the day so far
        panel.screenshot(screens / "dialer-done.png")
    detail = await floor.api("GET", f"/api/lists/{call_list['id']}")
    assert (detail["progress"]["attempts"], detail["progress"]["meetings"]) == (3, 1)
    assert detail["progress"]["left"] == 2  # the two not reached wait for their retry
    [task] = (await floor.api("GET", "/api/tasks", headers=anna["headers"]))["items"]
    assert task["title"] == "meeting with Клиент 3" and task["due_at"].startswith("2030-01-01")


async def test_a_progressive_list_calls_by_itself_after_its_countdown(floor, screens):
    anna = await floor.person("anna", extension="201")
    pipeline = next(p for p in await floor.api("GET", "/api/pipelines") if p["name"] == "sales")
    body = {"name": "тёплые", "pipeline_id": pipeline["id"], "basis": "consent", "hours": ALL_DAY}
    call_list = await floor.api("POST", "/api/lists", json=body | {"mode": "progressive", "countdown_seconds": 2})
    contact = await floor.api("POST", "/api/contacts", json={"phone": PHONES[2], "name": "Клиент"})
    await floor.api("POST", f"/api/lists/{call_list['id']}/contacts", json={"contact_ids": [contact["id"]]})
    await floor.api("PUT", f"/api/lists/{call_list['id']}/members", json=[{"operator_id": anna["id"]}])
    with chromium() as panel:
        await asyncio.to_thread(panel.sign_in, floor.base_url, "anna", PASSWORD)
        await asyncio.to_thread(panel.text_of, "#dialer", "тёплые")
        panel.click("#dial-next")
        await asyncio.to_thread(panel.text_of, "#dial-countdown", "Звонок через")
        panel.screenshot(screens / "dialer-countdown.png")
        await asyncio.to_thread(panel.text_of, "#notices", "АТС звонит", 6)  # the call started by itself
