"""Work a PBX waits for is not held up by the processor's backlog, and decisions that share a
transaction fail alone (one alone, whole)."""

import asyncio
import threading

import pytest
from sqlalchemy import func, insert, select

from app.database import Database
from app.pbx.routed import RoutingDecisions
from app.queues.models import Queue


@pytest.fixture
async def db(database_url):
    database = Database(database_url)
    yield database
    await database.dispose()


async def test_urgent_work_waits_for_the_transaction_running_not_for_the_queue(db):
    if not db.is_sqlite:
        pytest.skip("PostgreSQL runs transactions side by side: there is no queue to jump")
    order: list[str] = []
    running, release = threading.Event(), threading.Event()

    def first_batch(_session):
        running.set()
        order.append("batch 0")
        release.wait(5)  # a processor batch taking its time

    queued = [asyncio.ensure_future(db.run(first_batch))]
    queued += [asyncio.ensure_future(db.run(lambda _s, n=n: order.append(f"batch {n}"))) for n in range(1, 6)]
    await asyncio.to_thread(running.wait, 5)
    acknowledged = asyncio.ensure_future(db.run(lambda _session: order.append("acknowledgement"), urgent=True))
    await asyncio.sleep(0)  # (handed to the writer)
    release.set()
    await asyncio.gather(acknowledged, *queued)
    assert order.index("acknowledgement") == 1, order  # after the batch already running, before the rest


async def test_a_failed_decision_rolls_back_alone_and_the_others_in_its_transaction_commit(db):
    decisions = RoutingDecisions(db)

    def add_queue(name: str, fail: bool = False):
        def work(session):
            session.execute(insert(Queue), [{"name": name, "numbers": []}])
            if fail:
                raise RuntimeError("no decision")
            return name

        return work

    results = await asyncio.gather(
        decisions.submit(add_queue("first")),
        decisions.submit(add_queue("failing", fail=True)),
        decisions.submit(add_queue("third")),
        return_exceptions=True,
    )
    await decisions.close()
    assert results[0] == "first" and results[2] == "third" and isinstance(results[1], RuntimeError)
    names = await db.read(lambda s: sorted(s.scalars(select(Queue.name))))
    assert names == ["first", "third"]
    assert await db.read(lambda s: s.scalar(select(func.count(Queue.id)))) == 2


async def test_a_decision_alone_in_its_transaction_that_fails_leaves_nothing(db):
    decisions = RoutingDecisions(db)

    def failing(session):
        session.execute(insert(Queue), [{"name": "half-made", "numbers": []}])
        raise RuntimeError("no decision")

    with pytest.raises(RuntimeError, match="no decision"):
        await decisions.submit(failing)
    await decisions.close()
    assert await db.read(lambda s: s.scalar(select(func.count(Queue.id)))) == 0
