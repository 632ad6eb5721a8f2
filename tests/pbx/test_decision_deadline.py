"""A routing decision that cannot be made within SYNC_DECISION_DEADLINE_MS: the PBX is answered with
its own plan in time, the late decision is rolled back whole (no offer rings a panel the PBX will
never ring), and the call is still followed to its outcome and its callback."""

import asyncio
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Awaitable
from typing import TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from app.auth.models import Role
from telephony import generic
from tests.support.app import GENERIC_SECRET, pg_dsn, running
from tests.support.desk import Desk, rung

T = TypeVar("T")

DEADLINE_MS = 300
HELD_SECONDS = 1.5  # the database is busy this long: far past the deadline


async def hold_the_writer(cf, seconds: float) -> None:
    """Another writer holds what the decision needs, as a busy second process would: SQLite's
    write lock, or (PostgreSQL) the live-client event counter every deciding transaction takes."""
    url = cf.app.state.settings.database_url
    locked = threading.Event()
    if url.startswith("sqlite"):

        def hold() -> None:
            connection = sqlite3.connect(make_url(url).database, isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")
            locked.set()
            time.sleep(seconds)
            connection.execute("COMMIT")
            connection.close()

        threading.Thread(target=hold, daemon=True).start()
        await asyncio.to_thread(locked.wait, 5)
        return
    await hold_in_postgresql(cf, "SELECT 1 FROM event_counter WHERE id = 1 FOR UPDATE", seconds)


async def hold_the_readers(cf, seconds: float) -> None:
    """Whatever reads the database is slow to get to a new read, as under overload: SQLite's reader
    threads all busy, or (PostgreSQL) the queues locked by another transaction."""
    if not cf.app.state.settings.database_url.startswith("sqlite"):
        await hold_in_postgresql(cf, "LOCK TABLE queue IN ACCESS EXCLUSIVE MODE", seconds)
        return
    released = threading.Event()
    busy = [asyncio.ensure_future(cf.app.state.db.read(lambda _: released.wait(5))) for _ in range(8)]

    async def release() -> None:
        await asyncio.sleep(seconds)
        released.set()
        await asyncio.gather(*busy)

    await asyncio.sleep(0.05)  # (the readers have taken their work)
    cf.held = asyncio.create_task(release())  # (kept referenced until it is done)


async def hold_in_postgresql(cf, statement: str, seconds: float) -> None:
    """Another transaction runs ``statement`` and keeps what it locked for ``seconds``."""
    url = cf.app.state.settings.database_url
    connection = await asyncpg.connect(pg_dsn(url, make_url(url).database))
    transaction = connection.transaction()
    await transaction.start()
    await connection.execute(statement)

    async def release() -> None:
        await asyncio.sleep(seconds)
        await transaction.commit()
        await connection.close()

    cf.held = asyncio.create_task(release())  # (kept referenced until it is done)


async def test_a_decision_past_its_deadline_leaves_the_call_to_the_pbx(settings, caplog):
    deadline = {"sync_decision_deadline_ms": DEADLINE_MS, "metrics_token": "t"}
    async with running(settings.model_copy(update=deadline)) as cf:
        desk = Desk(cf, await cf.user("sup", Role.supervisor))
        await desk.operator("101")
        await desk.queue(["101"])
        before = await fallen_back(cf)
        await hold_the_writer(cf, HELD_SECONDS)
        body, headers = incoming_webhook("late-1")
        answer, waited = await timed(cf.http.post("/pbx/generic/events", content=body, headers=headers))
        assert answer.status_code == 200 and answer.json()["route"]["action"] == "proceed"
        assert waited < HELD_SECONDS + 1  # answered when the database let go, not after a decision
        # The late decision left nothing behind: no offer, the operator still free, and a
        # redelivery gets the answer already given.
        assert await desk.offers("101") == [] and await desk.state_of("101") == "available"
        again = await cf.http.post("/pbx/generic/events", content=body, headers=headers)
        assert again.json()["route"]["action"] == "proceed"
        await cf.settle()
        await desk.tick(after_seconds=60)
        assert await desk.offers("101") == []  # not offered behind the PBX's back either

        call = await desk.call("late-1")
        assert call["route_rule"] == "pbx"
        assert [t["kind"] for t in call["timeline"]].count("decision_deadline") == 1
        await desk.hang_up("late-1", reason="caller_hung_up")  # nobody the PBX rang took it
        call = await desk.call("late-1")
        assert call["outcome"] in ("missed", "abandoned")
        callbacks = (await cf.http.get("/api/callbacks", headers=desk.sup["headers"])).json()["items"]
        assert [c["phone"] for c in callbacks] == ["+79001112233"]
        # With the database free again, decisions are made as before.
        assert rung(await desk.incoming("next-1", caller="+79001112299")) == ["101"]
        assert await fallen_back(cf) == before + 1
    # A decision missing its deadline is a warning, not an error (an error pages the person on call).
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_the_wait_to_read_counts_toward_the_deadline(settings, caplog):
    """The PBX is answered by the deadline even when the read before the decision (is there
    anything to decide?) is what waits: with its own plan, and the call left to it."""
    deadline = {"sync_decision_deadline_ms": DEADLINE_MS}
    async with running(settings.model_copy(update=deadline)) as cf:
        desk = Desk(cf, await cf.user("sup", Role.supervisor))
        await desk.operator("101")
        await desk.queue(["101"])  # (no routing webhook has told the process yet that its line has one)
        await hold_the_readers(cf, HELD_SECONDS)
        body, headers = incoming_webhook("slow-1")
        answer, waited = await timed(cf.http.post("/pbx/generic/events", content=body, headers=headers))
        assert answer.status_code == 200 and answer.json()["route"]["action"] == "proceed"
        assert waited < HELD_SECONDS  # not kept waiting for the read, then for a decision
        await cf.held
        await cf.settle()
        assert await desk.offers("101") == []  # the PBX routes it: nobody is offered it behind its back
        call = await desk.call("slow-1")
        assert call["route_rule"] == "pbx"
        assert [t["kind"] for t in call["timeline"]].count("decision_deadline") == 1
    # The read given up at the deadline (cancelled mid-query on PostgreSQL) is no error either.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def incoming_webhook(call_id: str) -> tuple[bytes, dict]:
    """A signed ``incoming`` on the queue's line: its body and headers (sent again, a redelivery)."""
    incoming = {"event": "incoming", "call_id": call_id, "event_id": f"{call_id}-in", "from": "+79001112233"}
    body = json.dumps(incoming | {"to": "+74951234567"}).encode()
    return body, {generic.SIGNATURE_HEADER: generic.sign(GENERIC_SECRET, body), "content-type": "application/json"}


async def timed(request: Awaitable[T]) -> tuple[T, float]:
    began = time.monotonic()
    return await request, time.monotonic() - began


async def fallen_back(cf) -> float:
    """``callfunnel_routing_decisions_total`` for the generic PBX's deadline fallbacks (0 before the first)."""
    metrics = (await cf.http.get("/metrics", headers={"Authorization": "Bearer t"})).text
    line = 'callfunnel_routing_decisions_total{result="deadline",vendor="generic"} '
    return next((float(row.removeprefix(line)) for row in metrics.splitlines() if row.startswith(line)), 0.0)
