"""The operator's panel in Chromium: signing in, the shift, a ringing call with the caller's card,
taking it with one key, the disposition after it; rejecting; two panels racing for one call."""

import asyncio
import time

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.console.browser import chromium
from tests.support.floor import CLIENT, PASSWORD, signed_in_on_shift


async def test_a_wrong_password_is_refused_and_the_right_one_opens_the_panel(floor, screens):
    await floor.person("olga", extension="101")
    with chromium() as page:
        await asyncio.to_thread(page.sign_in, floor.base_url, "olga", "not her password")
        assert page.text_of("form.signin .error", "Неверное имя или пароль").is_displayed()
        page.screenshot(screens / "sign-in-refused.png")

        page.type("input[name=password]", PASSWORD)
        page.click("form.signin button[type=submit]")
        assert page.find("#start-shift").text == "Начать смену"
        assert page.text_of("#connection", "На связи")
        page.screenshot(screens / "operator-before-shift.png")


async def test_a_call_rings_with_the_card_is_taken_with_enter_and_its_disposition_moves_the_deal(floor, screens):
    olga = await floor.person("olga", extension="101")
    await floor.queue(["olga"])
    pipeline = next(p for p in await floor.api("GET", "/api/pipelines") if p["name"] == "sales")
    first_contact, presentation = pipeline["stages"][0], pipeline["stages"][1]
    contact = await floor.api(
        "POST", "/api/contacts", json={"phone": CLIENT, "name": "Иван Петров", "company": "Строй"}
    )
    await floor.api("PATCH", f"/api/contacts/{contact['id']}", json={"owner_id": olga["id"], "vip": True})
    deal = await floor.api(
        "POST",
        "/api/deals",
        json={"contact_id": contact["id"], "stage_id": first_contact["id"], "owner_id": olga["id"]},
    )
    with chromium() as page:
        await signed_in_on_shift(page, floor, "olga")

        route = await floor.incoming("call-1", "8 (912) 345-67-89")
        assert [t["extension"] for t in route["targets"]] == ["101"]
        offer = await asyncio.to_thread(page.find, "#offer", 1)  # rings within a second of the webhook
        assert "+7 912 345-67-89" in offer.text
        assert "Иван Петров" in offer.text and "Строй" in offer.text and "VIP" in offer.text
        assert "Менеджер: olga" in offer.text
        assert "sales · first contact" in offer.text
        assert "Ваш клиент" in offer.text  # why her: the client's own manager
        page.screenshot(screens / "operator-offer.png")

        page.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ENTER)  # one key takes the call
        await asyncio.to_thread(page.gone, "#offer")
        await floor.answered("call-1", "101")
        call = await asyncio.to_thread(page.find, "#call")
        assert "Разговор" in call.text and "Иван Петров" in call.text
        page.screenshot(screens / "operator-call.png")

        await floor.pbx("ended", "call-1", reason="completed")
        form = await asyncio.to_thread(page.find, "form.disposition")
        assert "+7 912 345-67-89" in form.text
        page.type("form.disposition textarea[name=note]", "Хочет презентацию для отдела")
        page.type("form.disposition input[name=next_step]", "Показать демо")
        page.script(
            "const f = document.querySelector('form.disposition input[name=next_step_at]');"
            "f.value = '2030-01-15T11:00'; f.dispatchEvent(new Event('change'));"
        )
        page.find("form.disposition select[name=deal]").send_keys("presentation")
        page.screenshot(screens / "operator-disposition.png")
        page.click("form.disposition button[type=submit]")
        await asyncio.to_thread(page.gone, "form.disposition")
        await asyncio.to_thread(page.text_of, "#my-tasks", "Показать демо")

    moved = await floor.api("GET", f"/api/deals/{deal['id']}")
    assert moved["stage_id"] == presentation["id"]
    taken = await floor.call_of("call-1")
    assert (taken["outcome"], taken["operator_id"]) == ("answered", olga["id"])
    tasks = await floor.api("GET", "/api/tasks", headers=olga["headers"])
    assert [t["title"] for t in tasks["items"]] == ["Показать демо"]


async def test_a_rejected_call_goes_on_to_the_next_operator(floor, screens):
    await floor.person("olga", extension="101")
    await floor.person("pavel", extension="102")
    await floor.queue(["olga", "pavel"], strategy="round_robin")
    with chromium() as olga, chromium() as pavel:
        await signed_in_on_shift(olga, floor, "olga")
        await signed_in_on_shift(pavel, floor, "pavel")

        first = (await floor.incoming("call-2", CLIENT))["targets"][0]["extension"]
        ringing, other = (olga, pavel) if first == "101" else (pavel, olga)
        await asyncio.to_thread(ringing.find, "#offer")
        ringing.click("#reject")
        await asyncio.to_thread(ringing.gone, "#offer")
        rejecter = floor.people["olga" if first == "101" else "pavel"]
        async with asyncio.timeout(5):  # the panel sent its reject; the server has taken it
            while not await floor.api("GET", "/api/offers", params={"status": "rejected"}, headers=rejecter["headers"]):
                await asyncio.sleep(0.05)

        route = (await floor.pbx("waiting", "call-2"))["route"]
        assert [t["extension"] for t in route["targets"]] == ["102" if first == "101" else "101"]
        offer = await asyncio.to_thread(other.find, "#offer")
        assert "+7 912 345-67-89" in offer.text
        assert ringing.all("#offer") == []
        other.screenshot(screens / "operator-offer-after-reject.png")


async def test_of_two_panels_racing_for_a_ring_all_call_one_gets_it_and_the_other_is_told(floor, screens):
    await floor.person("olga", extension="101")
    await floor.person("pavel", extension="102")
    await floor.queue(["olga", "pavel"], strategy="ring_all")
    with chromium() as olga, chromium() as pavel:
        await signed_in_on_shift(olga, floor, "olga")
        await signed_in_on_shift(pavel, floor, "pavel")
        route = await floor.incoming("call-3", CLIENT)
        assert sorted(t["extension"] for t in route["targets"]) == ["101", "102"]
        await asyncio.to_thread(olga.find, "#accept")
        await asyncio.to_thread(pavel.find, "#accept")

        click = "document.getElementById('accept').click()"
        olga.script(click), pavel.script(click)  # both at once: the server's claim decides
        panels = {"olga": olga, "pavel": pavel}
        winner = await asyncio.to_thread(_the_one_on_the_call, panels)
        loser = panels["pavel" if winner == "olga" else "olga"]
        assert loser.text_of("#notices .notice.info", "Звонок уже принял коллега")
        assert loser.all(".notice.error") == []  # told, not alarmed
        loser.screenshot(screens / "operator-taken-by-colleague.png")

    call = await floor.call_of("call-3")
    for name in panels:
        accepted = await floor.api(
            "GET", "/api/offers", params={"status": "accepted"}, headers=floor.people[name]["headers"]
        )
        assert [o["call_id"] for o in accepted] == ([call["id"]] if name == winner else [])


def _the_one_on_the_call(panels: dict) -> str:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        taken = [name for name, page in panels.items() if page.all("#call")]
        if taken:
            return taken[0]
        time.sleep(0.05)
    raise AssertionError("neither panel took the call")


async def test_a_contact_named_like_markup_is_shown_as_those_characters(floor, screens):
    await floor.person("olga", extension="101")
    await floor.queue(["olga"])
    name = "<img src=x onerror=alert(1)>"
    await floor.api("POST", "/api/contacts", json={"phone": CLIENT, "name": name, "company": "<b>bold</b>"})
    with chromium() as page:
        await signed_in_on_shift(page, floor, "olga")
        await floor.incoming("call-4", CLIENT)
        offer = await asyncio.to_thread(page.find, "#offer")
        assert name in offer.text and "<b>bold</b>" in offer.text
        assert offer.find_elements(By.TAG_NAME, "img") == [] and offer.find_elements(By.TAG_NAME, "b") == []
        with pytest.raises(NoAlertPresentException):
            page.driver.switch_to.alert  # noqa: B018 - nothing ran: no alert is open
        page.screenshot(screens / "operator-markup-as-text.png")


async def test_the_console_speaks_english_when_the_browser_does_and_switches_to_russian(floor, screens):
    await floor.person("olga", extension="101")
    with chromium(language="en-US") as page:
        page.open(floor.base_url)
        assert page.find("form.signin h1").text == "Sign in to callfunnel"
        page.screenshot(screens / "sign-in-english.png")
        await asyncio.to_thread(page.sign_in, floor.base_url, "olga", PASSWORD)
        page.click("#start-shift")
        assert page.text_of("#my-state", "Available")
        assert page.find("#my-callbacks h3").text.startswith("Callbacks")
        page.screenshot(screens / "operator-english.png")

        page.find("#top select").send_keys("Русский")  # kept in the browser; the shift goes on
        assert page.text_of("#my-state", "На линии")
        assert page.find("#my-callbacks h3").text.startswith("Перезвоны")
