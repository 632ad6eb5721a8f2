"""``GET /metrics`` as Prometheus scrapes it: counts that match what was sent and what happened,
the database's figures as they are, and the token it asks for.

Counters are the process's since it started (that is what Prometheus expects), so each test
compares a scrape after its work with one before it."""

import asyncio
import contextlib
import os
import subprocess
import sys

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.auth.models import Role
from tests.live_server import ROOT, free_port
from tests.realtime.live import serving
from tests.support.app import GENERIC_SECRET, running
from tests.support.desk import Desk
from tests.support.generic import send, send_with

METRICS_TOKEN = "scrape-me-0123456789"
OPEN = OPEN_PANELS, OPEN_FEEDS = 'callfunnel_websockets{kind="operator"}', 'callfunnel_websockets{kind="supervisor"}'


def figures(text: str) -> dict[str, float]:
    """Every sample by ``name{label="value",...}`` (labels sorted)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


async def scrape(cf) -> dict[str, float]:
    response = await cf.http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return figures(response.text)


def grown(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What each of callfunnel's counters and histogram counts gained between two scrapes (those that moved)."""
    return {
        name: value - before.get(name, 0)
        for name, value in after.items()
        if name.startswith("callfunnel_")
        and name.split("{")[0].endswith(("_total", "_count"))
        and value != before.get(name, 0)
    }


async def test_a_scripted_day_is_counted_as_it_happened(settings):
    async with running(settings.model_copy(update={"metrics_token": METRICS_TOKEN})) as cf:
        supervisor = await cf.user("sup", Role.supervisor)
        desk = Desk(cf, supervisor)
        sent = 0
        pbx = desk.pbx

        async def counted(*args, **fields):
            nonlocal sent
            sent += 1
            return await pbx(*args, **fields)

        desk.pbx = counted
        await desk.operator("101")
        await desk.operator("102")
        await desk.queue(["101", "102"], name="sales")
        before = await scrape(cf)

        await desk.incoming("a1", caller="+79001110001")
        await desk.answer("a1", "101")
        await desk.hang_up("a1")
        await desk.incoming("a2", caller="+79001110002")  # offered, then the caller gives up
        await desk.hang_up("a2", reason="caller_hung_up")
        for extension in ("101", "102"):
            await desk.set_state(extension, "offline")
        await desk.incoming("a3", caller="+79001110003")  # nobody there: missed
        await desk.hang_up("a3")
        twice = {"event": "ended", "call_id": "a1", "event_id": "twice-1", "reason": "completed"}
        assert (await send(cf, twice)).status_code == 200
        assert (await send(cf, twice)).status_code == 200  # a redelivery
        assert (await send(cf, twice | {"event_id": "forged"}, secret="not-the-secret")).status_code == 401
        assert (await send(cf, {"event": "nonsense", "call_id": "a9"})).status_code == 422
        await cf.settle()
        after = await scrape(cf)

    generic = 'vendor="generic"'
    counts = grown(before, after)
    assert counts[f'callfunnel_webhooks_total{{result="accepted",{generic}}}'] == sent + 1
    assert counts[f'callfunnel_webhooks_total{{result="duplicate",{generic}}}'] == 1
    assert counts[f'callfunnel_webhooks_total{{result="refused",{generic}}}'] == 1
    assert counts[f'callfunnel_webhooks_total{{result="unreadable",{generic}}}'] == 1
    assert counts[f"callfunnel_webhook_duration_seconds_count{{{generic}}}"] == sent + 4
    assert counts["callfunnel_processing_lag_seconds_count"] == sent + 1  # every stored, readable one
    assert {name: n for name, n in counts.items() if name.startswith("callfunnel_calls_total")} == {
        'callfunnel_calls_total{outcome="answered"}': 1,
        'callfunnel_calls_total{outcome="abandoned"}': 1,
        'callfunnel_calls_total{outcome="missed"}': 1,
    }
    assert {name: n for name, n in counts.items() if name.startswith("callfunnel_offers_total")} == {
        'callfunnel_offers_total{result="accepted"}': 1,
        'callfunnel_offers_total{result="revoked"}': 1,  # the caller hung up while it rang
    }
    # What the database says now: two callbacks (a2 and a3), nobody waiting, both operators offline.
    assert after["callfunnel_callbacks_open"] == 2 and after["callfunnel_callbacks_overdue"] == 0
    assert after['callfunnel_queue_waiting{queue="sales"}'] == 0
    assert after['callfunnel_queue_longest_wait_seconds{queue="sales"}'] == 0
    assert round(after['callfunnel_queue_service_level_ratio{queue="sales"}'], 3) == 0.333  # a1 of the three
    assert after['callfunnel_operators{state="offline"}'] == 2 and after['callfunnel_operators{state="available"}'] == 0
    assert after["callfunnel_inbox_backlog"] == 0 and after["callfunnel_inbox_oldest_age_seconds"] == 0
    assert after['callfunnel_websockets{kind="operator"}'] == 0
    assert after['callfunnel_queue_open{queue="sales"}'] == 1  # (no business hours: always open)
    assert after['callfunnel_vendor_configured{vendor="generic"}'] == 1
    # Labels are bounded: no phone number and no call id anywhere.
    assert not [name for name in after if "7900111" in name or '"a1"' in name]


async def test_metrics_ask_for_their_own_token(settings):
    async with running(settings) as cf:  # METRICS_TOKEN unset: not there at all
        assert (await cf.http.get("/metrics")).status_code == 404
    async with running(settings.model_copy(update={"metrics_token": METRICS_TOKEN})) as cf:
        supervisor = await cf.user("sup", Role.supervisor)
        assert (await cf.http.get("/metrics")).status_code == 401
        wrong = await cf.http.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        assert (
            await cf.http.get("/metrics", headers=supervisor["headers"])
        ).status_code == 401  # an API token is not it
        assert "callfunnel_inbox_backlog" in await scrape(cf)


async def test_metrics_enabled_false_counts_nothing(settings):
    quiet = settings.model_copy(update={"metrics_token": METRICS_TOKEN, "metrics_enabled": False})
    async with running(settings.model_copy(update={"metrics_token": METRICS_TOKEN})) as cf:
        before = await scrape(cf)
    async with running(quiet) as cf:
        assert (await send(cf, {"event": "incoming", "call_id": "q1", "from": "+79001110001"})).status_code == 200
        await cf.settle()
        assert (await cf.http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})).status_code == 404
    async with running(settings.model_copy(update={"metrics_token": METRICS_TOKEN})) as cf:
        assert grown(before, await scrape(cf)) == {}


async def test_open_websockets_are_counted_while_open(settings):
    async with serving(settings.model_copy(update={"metrics_token": METRICS_TOKEN})) as live:
        cf = live.cf
        operator = await cf.user("olga", Role.operator, extension="101")
        supervisor = await cf.user("sup", Role.supervisor)
        before = await scrape(cf)
        panel, feed = await live.panel(operator["headers"]), await live.feed(supervisor["headers"])
        await panel.next("snapshot")
        await feed.next("snapshot")
        during = await scrape(cf)
        await panel.close()
        await feed.close()
        async with asyncio.timeout(5):  # both counted out (the server sees a close a moment later)
            while {k: v for k, v in (await scrape(cf)).items() if k in OPEN} != {k: before[k] for k in OPEN}:
                await asyncio.sleep(0.02)
    assert during[OPEN_PANELS] - before[OPEN_PANELS] == 1 and during[OPEN_FEEDS] - before[OPEN_FEEDS] == 1


async def test_every_worker_answers_with_the_sum_of_all(settings, database_url, tmp_path):
    """``callfunnel serve --workers 2``: each scrape lands on one worker, and each shows every webhook."""
    if settings.is_sqlite:
        pytest.skip("several workers share a database on PostgreSQL")
    port = free_port()
    env = os.environ | {
        "CALLFUNNEL_DATABASE_URL": database_url,
        "CALLFUNNEL_GENERIC_SECRET": GENERIC_SECRET,
        "CALLFUNNEL_ADMIN_PASSWORD_FILE": "",
        "CALLFUNNEL_METRICS_TOKEN": METRICS_TOKEN,
        "CALLFUNNEL_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port), "--workers", "2"]
    with (tmp_path / "serve.log").open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    # A connection per request, so that the workers take turns.
    fresh = httpx.Limits(max_keepalive_connections=0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=fresh) as http:
            async with asyncio.timeout(60):
                while True:
                    with contextlib.suppress(httpx.TransportError):
                        if (await http.get("/health/ready")).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
            for n in range(20):
                event = {"event": "incoming", "call_id": f"w{n}", "from": "+79001110001", "to": "+74951234567"}
                assert (await send_with(http, event)).status_code == 200
            headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
            scrapes = [figures((await http.get("/metrics", headers=headers)).text) for _ in range(8)]
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 30)
    accepted = 'callfunnel_webhooks_total{result="accepted",vendor="generic"}'
    assert [scrape[accepted] for scrape in scrapes] == [20] * 8, (tmp_path / "serve.log").read_text()[-3000:]
