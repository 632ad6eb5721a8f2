"""The supervisor's desk in Chromium: the live missed-call feed, the callback list (assign,
complete), the funnel's two-manager example, a phone-width feed; both pages across a restart."""

import asyncio

from selenium.webdriver.support.ui import Select

from tests.console.browser import PHONE_SCREEN, chromium
from tests.support.floor import CLIENT, PASSWORD, signed_in_on_shift

# The method's example (README, "Reports"): deals on the list, then reaching each stage.
IVANOV = [59, 47, 33, 28, 27]  # 80 / 70 / 85 / 96 %
SIDOROV = [50, 48, 43, 30, 24]  # 96 / 90 / 70 / 80 %


async def missed_call(floor, call_id: str, caller: str = CLIENT) -> None:
    await floor.incoming(call_id, caller)
    await floor.pbx("ended", call_id, reason="queue_timeout")


async def test_a_missed_call_appears_on_the_feed_and_its_callback_is_assigned_and_completed(floor, screens):
    olga = await floor.person("olga", extension="101")
    await floor.queue(["olga"])
    await floor.api("POST", "/api/contacts", json={"phone": CLIENT, "name": "Анна Смирнова", "company": "Агро"})
    with chromium() as desk:
        await asyncio.to_thread(desk.sign_in, floor.base_url, "boss", PASSWORD)
        await asyncio.to_thread(desk.text_of, "#feed", "Сегодня пропущенных нет")

        await missed_call(floor, "call-1")
        item = await asyncio.to_thread(desk.find, "#feed li.missed")  # no reload
        assert "+7 912 345-67-89" in item.text and "Анна Смирнова · Агро" in item.text
        assert "нет операторов" in item.text and "sales" in item.text and "срок" in item.text  # olga is offline
        desk.screenshot(screens / "desk-live.png")

        desk.click("a[data-tab=callbacks]")
        row = await asyncio.to_thread(desk.find, "#callback-list tr[data-callback]")
        assert "+7 912 345-67-89" in row.text
        Select(row.find_element("css selector", "select")).select_by_visible_text("olga")
        await asyncio.to_thread(desk.text_of, "#notices", "Назначено")
        [callback] = (await floor.api("GET", "/api/callbacks", params={"status": "open"}))["items"]
        assert callback["assignee_id"] == olga["id"]
        desk.screenshot(screens / "desk-callbacks.png")

        desk.click("#callback-list tr[data-callback] button")
        prompt = desk.driver.switch_to.alert
        prompt.send_keys("Договорились о встрече")
        prompt.accept()
        await asyncio.to_thread(desk.text_of, "#notices", "Перезвон закрыт")
    closed = await floor.api("GET", f"/api/callbacks/{callback['id']}")
    assert (closed["status"], closed["result"]) == ("done", "Договорились о встрече")


async def test_the_funnel_marks_each_managers_stages_below_target_and_who_coaches_whom(floor, screens):
    pipeline = next(p for p in await floor.api("GET", "/api/pipelines") if p["name"] == "sales")
    for name, counts in (("Ivanov", IVANOV), ("Sidorov", SIDOROV)):
        manager = await floor.person(name)
        await play_manager(floor, manager, pipeline, counts)
    with chromium(size=(1366, 900)) as desk:
        await asyncio.to_thread(desk.sign_in, floor.base_url, "boss", PASSWORD)
        desk.click("a[data-tab=funnel]")
        await asyncio.to_thread(desk.find, "#coaching li")
        below = {
            name: [g.get_attribute("data-stage") for g in desk.all(f"figure[data-manager={name}] g.below")]
            for name in ("Ivanov", "Sidorov")
        }
        assert below == {
            "Ivanov": ["first contact", "presentation"],
            "Sidorov": ["first contact", "contract", "payment"],
        }
        pairs = sorted(
            (li.get_attribute("data-manager"), li.get_attribute("data-stage")) for li in desk.all("#coaching li")
        )
        assert pairs == [
            ("Ivanov", "first contact"),
            ("Ivanov", "presentation"),
            ("Sidorov", "contract"),
            ("Sidorov", "payment"),
        ]
        coaching = desk.find("#coaching").text
        assert "Ivanov — «presentation» (70.2 %): учиться у Sidorov (89.6 %)" in coaching
        desk.screenshot(screens / "desk-funnel.png")

        desk.click("a[data-tab=calls]")
        await asyncio.to_thread(desk.find, "#calls-report table")
        desk.screenshot(screens / "desk-calls-report.png")


async def play_manager(floor, manager: dict, pipeline: dict, counts: list[int]) -> None:
    """``counts[0]`` deals of the manager's, ``counts[k]`` of them reaching stage k, through the API."""
    stages = [s["id"] for s in pipeline["stages"]]
    for n in range(counts[0]):
        phone = f"+7495{manager['id']:03d}{n:04d}"
        contact = await floor.api("POST", "/api/contacts", json={"phone": phone}, headers=manager["headers"])
        deal_body = {"contact_id": contact["id"], "pipeline_id": pipeline["id"]}
        deal = await floor.api("POST", "/api/deals", json=deal_body, headers=manager["headers"])
        for stage, reached in zip(stages, counts[1:], strict=True):
            if n >= reached:
                break
            await floor.api(
                "POST", f"/api/deals/{deal['id']}/stage", json={"stage_id": stage}, headers=manager["headers"]
            )


async def test_the_feed_fits_a_phones_width(floor, screens):
    await floor.person("olga", extension="101")
    await floor.queue(["olga"])
    with chromium(size=PHONE_SCREEN) as phone:
        await asyncio.to_thread(phone.sign_in, floor.base_url, "boss", PASSWORD)
        await missed_call(floor, "call-1")
        await asyncio.to_thread(phone.find, "#feed li.missed")
        assert phone.script("return document.documentElement.scrollWidth <= window.innerWidth")
        phone.screenshot(screens / "desk-phone.png")


async def test_after_a_server_restart_both_pages_reconnect_and_resume(floor, live, screens):
    await floor.person("olga", extension="101")
    await floor.person("pavel", extension="102")
    await floor.queue(["olga", "pavel"], strategy="ring_all")
    with chromium() as panel, chromium() as desk:
        await signed_in_on_shift(panel, floor, "olga")
        await asyncio.to_thread(desk.sign_in, floor.base_url, "boss", PASSWORD)
        await missed_call(floor, "before")
        await asyncio.to_thread(desk.find, "#feed li[data-call]")

        live.kill()
        await asyncio.to_thread(panel.text_of, "#connection", "Нет связи")
        await asyncio.to_thread(desk.text_of, "#connection", "Нет связи")
        await live.start()
        await asyncio.to_thread(panel.text_of, "#connection", "На связи", 15)
        await asyncio.to_thread(desk.text_of, "#connection", "На связи", 15)

        await missed_call(floor, "after", caller="+79120000002")
        await asyncio.to_thread(desk.text_of, "#feed", "+7 912 000-00-02")
        shown = [li.get_attribute("data-call") for li in desk.all("#feed li[data-call]")]
        assert len(shown) == 2 == len(set(shown))  # each once, newest first

        await floor.incoming("again", "+79120000003")
        offer = await asyncio.to_thread(panel.find, "#offer")  # still on shift: the panel was back in time
        assert "+7 912 000-00-03" in offer.text
        desk.screenshot(screens / "desk-after-restart.png")
        panel.screenshot(screens / "operator-after-restart.png")


async def test_an_operator_signs_out_and_a_supervisor_administers_operators(floor, screens):
    await floor.person("olga", extension="101")
    with chromium(size=(1366, 900)) as desk:
        await asyncio.to_thread(desk.sign_in, floor.base_url, "boss", PASSWORD)
        desk.click("a[data-tab=admin]")
        desk.type("#new-operator input[name=name]", "maria")
        desk.type("#new-operator input[name=extension]", "103")
        desk.type("#new-operator input[name=password]", "first-password-1")
        desk.type("#new-operator input[name=skills]", "sales:8")
        desk.click("#new-operator button[type=submit]")
        await asyncio.to_thread(desk.text_of, "#admin-operators", "maria")
        desk.screenshot(screens / "desk-admin.png")
    operators = {op["name"]: op for op in await floor.api("GET", "/api/operators")}
    assert (operators["maria"]["extension"], operators["maria"]["skills"]) == ("103", {"sales": 8})

    with chromium() as page:  # her first sign-in asks for her own password
        await asyncio.to_thread(page.sign_in, floor.base_url, "maria", "first-password-1")
        page.type("input[name=old]", "first-password-1")
        page.type("input[name=new]", "her own password")
        page.type("input[name=repeat]", "her own password")
        page.click("form.signin button[type=submit]")
        await asyncio.to_thread(page.find, "#start-shift")
        page.click("#sign-out")
        await asyncio.to_thread(page.find, "form.signin input[name=name]")
