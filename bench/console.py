"""The console in real headless Chromium (the tests' driver) against callfunnel on loopback:

1. bytes of a first load of each page (sign-in, the operator's panel, the supervisor's desk): the
   page, its files and the API answers it fetched, uncompressed, with an empty browser cache;
2. webhook → offer painted: ``--panels`` operators each in their own Chromium, one ring-all queue,
   ``--calls`` calls one after another; from sending the ``incoming`` webhook to the frame after
   the offer was drawn, in every panel (same machine, same clock);
3. one panel's memory across ``--shift`` calls taken, talked, dispositioned (skipped) and wrapped
   up, as a busy operator's hours would go, compressed: JS heap after a forced GC and DOM nodes,
   after a warm-up of 20 calls, half-way and at the end.

Usage: python bench/console.py [--panels 10] [--calls 50] [--shift 150]
"""

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from app.auth.models import Role  # noqa: E402
from bench.results import record  # noqa: E402
from bench.routing import percentile  # noqa: E402
from tests.console.browser import chromium  # noqa: E402
from tests.live_server import Server  # noqa: E402
from tests.support.floor import PASSWORD, Floor, signed_in_on_shift  # noqa: E402

LOADED = """return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
  .reduce((sum, e) => sum + e.decodedBodySize, 0)"""
WATCH_OFFERS = """window.painted = {};
new MutationObserver(() => {
  const offer = document.querySelector('#offer');
  if (!offer || offer.dataset.offer in window.painted) return;
  window.painted[offer.dataset.offer] = null;
  requestAnimationFrame(() => setTimeout(() => {
    window.painted[offer.dataset.offer] = performance.timeOrigin + performance.now();
  }));
}).observe(document.getElementById('work'), {childList: true, subtree: true});"""
MEMORY = """gc(); return [performance.memory.usedJSHeapSize, document.getElementsByTagName('*').length]"""


def first_load_bytes(page, url: str) -> int:
    page.driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    page.open(url)
    time.sleep(2)  # the views' API requests
    return page.script(LOADED)


async def page_weights(floor: Floor) -> None:
    await floor.person("olga", extension="101")
    with chromium() as page:
        record(
            "console",
            "first load: sign-in page",
            "<= 300 KB",
            f"{first_load_bytes(page, floor.base_url) / 1024:.0f} KB",
        )
        await asyncio.to_thread(page.sign_in, floor.base_url, "boss", PASSWORD)
        page.find(".tabs")
        desk = first_load_bytes(page, floor.base_url)
        record("console", "first load: supervisor's desk", "<= 300 KB", f"{desk / 1024:.0f} KB")
    with chromium() as page:
        await asyncio.to_thread(page.sign_in, floor.base_url, "olga", PASSWORD)
        page.find("#start-shift")
        panel = first_load_bytes(page, floor.base_url)
        record("console", "first load: operator's panel", "<= 300 KB", f"{panel / 1024:.0f} KB")


async def offer_latency(floor: Floor, panels: int, calls: int) -> None:
    names = [f"op{n}" for n in range(panels)]
    for n, name in enumerate(names):
        await floor.person(name, extension=str(300 + n))
    await floor.queue(names, strategy="ring_all", name="bench")
    with contextlib.ExitStack() as stack:
        pages = [stack.enter_context(chromium()) for _ in names]
        await asyncio.gather(*(signed_in_on_shift(page, floor, name) for page, name in zip(pages, names, strict=True)))
        for page in pages:
            page.script(WATCH_OFFERS)
        latencies, answers = [], []
        for n in range(calls):
            sent = time.time() * 1000
            route = await floor.incoming(f"paint-{n}", f"+7912{n:07d}")
            answers.append(time.time() * 1000 - sent)
            offers = {str(target["offer_id"]) for target in route["targets"]}
            painted = await asyncio.gather(*(asyncio.to_thread(_painted, page, offers) for page in pages))
            latencies += [at - sent for at in painted]
            await floor.pbx("ended", f"paint-{n}", reason="caller_hung_up")
            await asyncio.gather(*(asyncio.to_thread(page.gone, "#offer", 10) for page in pages))
    figure = f"p50 {percentile(latencies, 50):.0f} ms, p99 {percentile(latencies, 99):.0f} ms"
    record("console", f"webhook -> offer painted, {panels} panels, {calls} calls", "< 1 s", figure)
    figure = f"p50 {percentile(answers, 50):.0f} ms, p99 {percentile(answers, 99):.0f} ms"
    record("console", "... of which the webhook's answer (routing decided)", "-", figure)


def _painted(page, offers: set[str]) -> float:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        painted = page.script("return window.painted")
        for offer in offers:
            if painted.get(offer):
                return painted[offer]
        time.sleep(0.01)
    raise SystemExit("an offer was never painted")


async def shift_memory(floor: Floor, calls: int) -> None:
    memo = await floor.person("memo", extension="400")
    await floor.api("PATCH", f"/api/operators/{memo['id']}", json={"wrap_up_seconds": 0})  # free again at once
    await floor.queue(["memo"], name="memory", numbers=["+74959999999"])
    with chromium() as page:
        await signed_in_on_shift(page, floor, "memo")
        samples = {}
        # Driven by scripts, not WebDriver element lookups: chromedriver keeps every element it
        # returned in the page's own heap, which would be counted as the panel's.
        for n in range(calls):
            call = f"shift-{n}"
            await floor.pbx("incoming", call, **{"from": f"+7913{n:07d}", "to": "+74959999999"})
            await _click(page, "#accept")
            await floor.answered(call, "400")
            await _until(page, "document.querySelector('#call')")
            await floor.pbx("ended", call, reason="completed")
            await _click(page, "form.disposition button[type=button]")
            await _until(page, "document.querySelector('#my-state').textContent.startsWith('На линии')")
            if n + 1 in (20, (20 + calls) // 2, calls):
                samples[n + 1] = page.script(MEMORY)
    heaps = " -> ".join(f"{heap / 1e6:.2f}" for heap, _ in samples.values())
    nodes = " -> ".join(str(count) for _, count in samples.values())
    record(
        "console",
        f"panel memory after {', '.join(map(str, samples))} calls",
        "no growth",
        f"JS heap {heaps} MB, DOM nodes {nodes}",
    )


async def _until(page, condition: str, timeout: float = 10) -> None:
    """Polls ``condition``, a JS expression, in the page until it holds."""
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(page.script, f"return !!({condition})"):
        if time.monotonic() > deadline:
            raise SystemExit(f"never: {condition}")
        await asyncio.sleep(0.02)


async def _click(page, css: str) -> None:
    """Clicks the element at ``css`` once it is there and enabled."""
    await _until(page, f"(e => e && !e.disabled && (e.click(), true))(document.querySelector({css!r}))")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--panels", type=int, default=10)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--shift", type=int, default=150)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        server = Server(url, Path(folder) / "server.log")
        await server.start()
        floor = Floor(server.url, url)
        try:
            await floor.person("boss", Role.admin)
            await page_weights(floor)
            await offer_latency(floor, args.panels, args.calls)
            await shift_memory(floor, args.shift)
        finally:
            await floor.close()
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
