"""Recordings in Chromium: the supervisor opens a call from the coaching library, the player plays
(its time advances, at 1.5×), a note is pinned at the playhead and the review is saved; the
operator who took the call plays it from the caller's card."""

import asyncio
from pathlib import Path

import pytest

from tests.console.browser import chromium
from tests.live_server import Server
from tests.support.floor import CLIENT, LINE, PASSWORD, Floor, signed_in_on_shift
from tests.support.recording_api import file_host, wav


@pytest.fixture
async def live(database_url: str, tmp_path: Path):
    server = Server(
        database_url,
        tmp_path / "server.log",
        generic_recording_hosts='["127.0.0.1"]',
        recording_cache_dir=str(tmp_path / "cache"),
    )
    await server.start()
    try:
        yield server
    finally:
        server.stop()


async def recorded_call(floor: Floor, call_id: str, url: str, *, extension: str = "101") -> int:
    await floor.pbx("incoming", call_id, **{"from": CLIENT, "to": LINE})
    await floor.pbx("ringing", call_id, extension=extension)
    await floor.pbx("answered", call_id, extension=extension)
    await floor.pbx("ended", call_id, extension=extension, reason="completed")
    await floor.pbx("ended", call_id, reason="completed")
    await floor.pbx("recording", call_id, recording=url, extension=extension)
    for _ in range(100):
        calls = (await floor.api("GET", "/api/calls"))["items"]
        found = [c for c in calls if c["external_id"] == call_id and c["recording_id"]]
        if found:
            return found[0]["id"]
        await asyncio.sleep(0.1)
    raise AssertionError("the call's recording never arrived")


def playing_time(page) -> float:
    return page.script("return document.querySelector('.player audio').currentTime")


async def test_a_supervisor_listens_and_saves_a_review_with_a_note_at_the_playhead(floor, screens, tmp_path):
    await floor.person("olga", extension="101")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "call.wav").write_bytes(wav(8.0))
    with file_host(tmp_path / "files") as host:
        call = await recorded_call(floor, "rec-call-1", f"{host}/call.wav")
        await floor.api("POST", f"/api/calls/{call}/example", json={"kind": "good", "note": "как открыть разговор"})
        with chromium(size=(1366, 900)) as desk:
            await asyncio.to_thread(desk.sign_in, floor.base_url, "boss", PASSWORD)
            desk.click("a[data-tab=library]")
            await asyncio.to_thread(desk.text_of, "#library", "как открыть разговор")
            desk.click(f"#library li[data-call='{call}'] a")
            await asyncio.to_thread(desk.find, ".player audio")
            desk.click(".player .speed[data-speed='1.5']")
            desk.click(".player")  # the player takes the keys: Space plays
            desk.find(".player").send_keys(" ")
            for _ in range(100):
                if playing_time(desk) > 1.0:
                    break
                await asyncio.sleep(0.05)
            assert playing_time(desk) > 1.0  # it plays: the time advances
            assert desk.script("return document.querySelector('.player audio').playbackRate") == 1.5

            desk.click("#review-form tr[data-item='1'] input[value=yes]")
            desk.click("#review-form tr[data-item='2'] input[value=partly]")
            desk.type("input[name=note_text]", "здесь не спросил о бюджете")
            desk.click("#pin-note")
            desk.screenshot(screens / "desk-review.png")
            desk.click("#review-form button[type=submit]")
            await asyncio.to_thread(desk.text_of, "#notices", "Оценка сохранена")
            await asyncio.to_thread(desk.text_of, "#reviews", "здесь не спросил о бюджете")
    [review] = await floor.api("GET", "/api/reviews", params={"call_id": call})
    assert [a["answer"] for a in review["answers"]][:3] == ["yes", "partly", "na"]
    assert review["score"] == round(100 * (1 + 1) / 3, 1)  # greeting 1×1, needs 2×0.5 of 1 + 2
    [note] = review["notes"]
    assert note["text"] == "здесь не спросил о бюджете" and note["at_seconds"] > 1.0


async def test_the_operator_plays_a_past_call_from_the_callers_card(floor, screens, tmp_path):
    await floor.person("olga", extension="101")
    await floor.queue(["olga"])
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "first.wav").write_bytes(wav(4.0))
    with file_host(tmp_path / "files") as host:
        await recorded_call(floor, "rec-first", f"{host}/first.wav")
        with chromium() as panel:
            await signed_in_on_shift(panel, floor, "olga")
            await floor.incoming("rec-second", CLIENT)  # the client calls again: the card shows the first call
            await asyncio.to_thread(panel.find, "#offer .recent button.listen", 10)
            panel.click("#offer .recent button.listen")
            await asyncio.to_thread(panel.find, "#offer .recent .player audio")
            panel.script("document.querySelector('#offer .recent .player audio').play()")
            for _ in range(100):
                if panel.script("return document.querySelector('#offer .recent .player audio').currentTime") > 0.5:
                    break
                await asyncio.sleep(0.05)
            assert panel.script("return document.querySelector('#offer .recent .player audio').currentTime") > 0.5
            panel.screenshot(screens / "panel-card-player.png")
