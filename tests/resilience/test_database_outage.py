"""PostgreSQL stops for 10 s: webhooks get 503, nothing is half-written, service comes back by itself,
and reconciliation with the PBX's call history fills the gap (MANGO does not send a refused webhook again)."""

import asyncio
import time

import httpx

from telephony.mango.script import InboundCall
from telephony.simulator.history import FinishedCall
from tests.live_server import admin_token, server
from tests.resilience.conftest import all_pages, needs_postgres_cluster, pg_cluster
from tests.support.app import signed_mango

LINE = "74951234567"


def call(n: int, now: int) -> tuple[list[dict], FinishedCall]:
    start = now - 300 + n
    script = InboundCall(entry_id=f"out-{n}", caller=f"7900555{n:04d}", start=start, line=LINE).missed(
        rung=("101",), code=1110, wait=20
    )
    finished = FinishedCall(f"out-{n}", f"+7900555{n:04d}", LINE, start, start + 20, reason="caller_hung_up")
    return [signed_mango(path, payload) for path, payload in script], finished


async def post_all(http: httpx.AsyncClient, notifications: list[dict]) -> list[int]:
    return [(await http.post(f"/pbx/mango{item['path']}", data=item["body"])).status_code for item in notifications]


@needs_postgres_cluster
async def test_database_gone_for_ten_seconds(new_database, tmp_path, mango_api, pbx_history):
    _api, mango_url = mango_api
    database_url = await new_database()
    token = await admin_token(database_url)
    now = int(time.time())
    before, during, after = range(0, 5), range(5, 15), range(15, 20)
    async with (
        server(database_url, tmp_path, mango_api_url=mango_url, reconcile_check_seconds=1) as cf,
        httpx.AsyncClient(base_url=cf.url, timeout=30) as pbx,
        httpx.AsyncClient(base_url=cf.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
    ):
        for n in before:
            notifications, _ = call(n, now)
            assert set(await post_all(pbx, notifications)) == {200}

        pg_cluster("pause")
        try:
            refused, began = [], time.monotonic()
            for n in during:
                notifications, finished = call(n, now)
                refused += await post_all(pbx, notifications)
                pbx_history.add(finished)  # the PBX finished the call; only its history knows it
            while time.monotonic() - began < 10:
                await asyncio.sleep(0.5)
        finally:
            pg_cluster("resume")
        assert set(refused) == {503}

        for n in after:  # no restart, no operator: it works again by itself
            notifications, _ = call(n, now)
            async with asyncio.timeout(30):
                while (codes := await post_all(pbx, notifications[:1])) != [200]:
                    assert codes == [503]
                    await asyncio.sleep(0.5)
            assert set(await post_all(pbx, notifications[1:])) == {200}

        expected = {f"out-{n}" for n in (*before, *during, *after)}
        async with asyncio.timeout(60):
            while True:
                calls = {c["external_id"]: c for c in await all_pages(http, "/api/calls")}
                if set(calls) == expected and all(c["outcome"] for c in calls.values()):
                    break
                await asyncio.sleep(0.5)
        callbacks = {cb["phone"] for cb in await all_pages(http, "/api/callbacks", status="open")}

    assert {key for key, c in calls.items() if c["recovered_at"]} == {f"out-{n}" for n in during}
    assert {c["outcome"] for c in calls.values()} == {"abandoned"}
    assert callbacks == {f"+7900555{n:04d}" for n in (*before, *during, *after)}
