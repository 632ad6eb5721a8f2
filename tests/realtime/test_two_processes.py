"""Two uvicorn processes on one PostgreSQL database: events fan out with LISTEN/NOTIFY, so a webhook
sent to one process reaches a panel connected to the other, and every supervisor sees every event
once, in ``seq`` order — also after the listening connection was cut."""

import asyncio
import json
import os
import subprocess
from itertools import count

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from websockets.exceptions import ConnectionClosed

from app.auth.models import Role
from app.database import Database
from app.operators import service as operators_service
from app.realtime.bus import LISTENER_NAME
from bench.server import free_port, start_server
from telephony import generic
from tests.realtime.live import Client
from tests.support.app import GENERIC_SECRET
from tests.support.desk import LINE

_events = count(1)


@pytest.fixture
async def two_processes(settings):
    if settings.is_sqlite:
        pytest.skip("several processes share a database on PostgreSQL")
    env = {
        **os.environ,
        "CALLFUNNEL_DATABASE_URL": settings.database_url,
        "CALLFUNNEL_GENERIC_SECRET": GENERIC_SECRET,
        "CALLFUNNEL_PBX_COMMAND_POLL_SECONDS": "0",
        "CALLFUNNEL_LOG_LEVEL": "WARNING",
        "CALLFUNNEL_ADMIN_PASSWORD_FILE": "",
    }
    servers: list[subprocess.Popen] = []
    try:
        ports = []
        for _ in range(2):
            port = free_port()
            servers.append(start_server("app.main:app", port, env))
            ports.append(port)
        yield ports
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)


async def _users(url: str) -> tuple[str, str]:
    db = Database(url)
    try:
        _, sup = await db.run(lambda s: operators_service.create_user(session=s, name="sam", role=Role.supervisor))
        _, op = await db.run(
            lambda s: operators_service.create_user(session=s, name="olga", role=Role.operator, extension="101")
        )
        return sup, op
    finally:
        await db.dispose()


async def _post_generic(http: httpx.AsyncClient, port: int, event: str, call_id: str, **fields) -> dict:
    body = json.dumps({"event": event, "call_id": call_id, "event_id": f"x{next(_events)}", **fields}).encode()
    response = await http.post(
        f"http://127.0.0.1:{port}/pbx/generic/events",
        content=body,
        headers={generic.SIGNATURE_HEADER: generic.sign(GENERIC_SECRET, body), "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_webhook_to_one_process_reaches_sockets_on_the_other(two_processes, settings):
    a, b = two_processes
    sup_token, op_token = await _users(settings.database_url)
    auth = {"Authorization": f"Bearer {sup_token}"}
    async with httpx.AsyncClient(timeout=10) as http:
        queue = (
            await http.post(f"http://127.0.0.1:{a}/api/queues", json={"name": "sales", "numbers": [LINE]}, headers=auth)
        ).json()
        operators = (await http.get(f"http://127.0.0.1:{a}/api/operators", headers=auth)).json()
        members = [{"operator_id": operators[0]["id"], "position": 0}]
        await http.put(f"http://127.0.0.1:{a}/api/queues/{queue['id']}/members", json=members, headers=auth)

        panel = await Client.open(f"ws://127.0.0.1:{b}/ws/operator?token={op_token}")
        await panel.next("snapshot")
        assert (await panel.request("set_state", state="available"))["type"] == "ack"
        feeds = [await Client.open(f"ws://127.0.0.1:{port}/ws/supervisor?token={sup_token}") for port in (a, b)]
        for feed in feeds:
            await feed.next("snapshot")

        reply = await _post_generic(http, a, "incoming", "cross-1", **{"from": "+79001112233", "to": LINE})
        offer = await panel.next("offer", timeout=10)
        assert offer["offer_id"] == reply["route"]["targets"][0]["offer_id"]
        assert offer["card"]["number"] == "+79001112233"
        await _post_generic(http, b, "ended", "cross-1", reason="caller_hung_up")
        assert (await panel.next("offer_revoked", timeout=10))["reason"] == "caller_hung_up"

        # Misses through both processes, with the LISTEN connections cut halfway: each feed gets each once, in order.
        numbers = []
        for n in range(6):
            if n == 3:
                await _cut_listeners(settings.database_url)
            number = f"+7900222000{n}"
            numbers.append(number)
            port = (a, b)[n % 2]
            await _post_generic(http, port, "incoming", f"miss-{n}", **{"from": number, "to": LINE})
            await _post_generic(http, port, "ended", f"miss-{n}", reason="caller_hung_up")
        seen_by_feed = []
        for feed in feeds:
            seen = []
            while len(seen) < 7:
                frame = await feed.next("missed_call", timeout=10)
                seen.append((frame["seq"], frame["number"]))
            # (the processes' inboxes finish the hang-ups in their own order: seq order is commit order)
            assert sorted(number for _, number in seen) == sorted(["+79001112233", *numbers])
            assert [seq for seq, _ in seen] == sorted({seq for seq, _ in seen})
            assert not [f for f in await feed.quiet(1.5) if f["type"] == "missed_call"]
            seen_by_feed.append(seen)
        assert seen_by_feed[0] == seen_by_feed[1]
        # Each process's snapshot stands where its own bus had read to (one may be a few events
        # behind the other, and sends those as frames): compare from the later snapshot on.
        start = max(feed.received[0]["seq"] or 0 for feed in feeds)
        first, second = ([f["seq"] for f in feed.received[1:] if f["seq"] > start] for feed in feeds)
        shared = min(len(first), len(second))
        assert first[:shared] == second[:shared]


async def _cut_listeners(url: str) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        cut = await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", LISTENER_NAME
        )
        assert cut == 2
    finally:
        await connection.close()


async def test_a_token_revoked_in_one_process_closes_its_sockets_in_the_other(two_processes, settings):
    a, b = two_processes
    sup_token, op_token = await _users(settings.database_url)
    async with httpx.AsyncClient(timeout=10) as http:
        ticket = (
            await http.post(f"http://127.0.0.1:{b}/api/ws-ticket", headers={"Authorization": f"Bearer {op_token}"})
        ).json()["ticket"]
        panel = await Client.open(f"ws://127.0.0.1:{b}/ws/operator?ticket={ticket}")
        await panel.next("snapshot")
        operator_id = (
            await http.get(f"http://127.0.0.1:{a}/api/operators", headers={"Authorization": f"Bearer {sup_token}"})
        ).json()[0]["id"]

        reissued = await http.post(
            f"http://127.0.0.1:{a}/api/operators/{operator_id}/token", headers={"Authorization": f"Bearer {sup_token}"}
        )
        assert reissued.status_code == 200

        async with asyncio.timeout(2):
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await panel.connection.recv()
        assert closed.value.rcvd.code == 4401
