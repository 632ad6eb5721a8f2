"""Reports benchmark: the funnel and calls reports over 1 M calls, 100 k contacts and 50 managers,
and contact lookup by phone.

The data is written straight into a fresh database (a week of calls: 80 % inbound, of those 70 %
answered, 15 % missed, 15 % abandoned, each through one of 5 queues; 20 k deals with their stage
moves); the calls report's rollups are rebuilt (timed, as `callfunnel reports rebuild` does), then each report
runs as the API runs it (``Database.read``), from the rollups and, for comparison, from raw rows; lookups are by
E.164 number.

Usage: python bench/reports.py [--calls 1000000] [--contacts 100000] [--managers 50] [--database-url URL]
"""

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.auth.models import Role, User  # noqa: E402
from app.calls.models import Call  # noqa: E402
from app.contacts.models import Contact  # noqa: E402
from app.crm.models import Deal, DealStageMove, Stage  # noqa: E402
from app.database import Database  # noqa: E402
from app.dispatch.models import QueueEntry  # noqa: E402
from app.migrations import upgrade_to_head_async  # noqa: E402
from app.operators.models import Operator  # noqa: E402
from app.queues.models import Queue  # noqa: E402
from app.reports import calls, funnel, rollups  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from results import record  # noqa: E402

BATCH = 20_000
END = datetime(2026, 12, 1, tzinfo=UTC)
START = END - timedelta(days=7)


def phone(n: int) -> str:
    return f"+7900{n:07d}"


def fill(session, args) -> None:
    rng = random.Random(7)
    session.execute(
        insert(User),
        [{"name": f"manager{m}", "role": Role.operator, "extension": str(100 + m)} for m in range(args.managers)],
    )
    managers = list(session.execute(select(User.id)).scalars())
    session.execute(insert(Operator), [{"user_id": m, "skills": {}} for m in managers])
    session.execute(insert(Queue), [{"name": f"q{q}", "numbers": [f"+7495000000{q}"]} for q in range(5)])
    queues = list(session.execute(select(Queue.id)).scalars())
    for first in range(0, args.contacts, BATCH):
        session.execute(
            insert(Contact),
            [
                {"phone": phone(n), "phone_raw": phone(n), "owner_id": managers[n % len(managers)]}
                for n in range(first, min(args.contacts, first + BATCH))
            ],
        )
    stages = list(session.execute(select(Stage.id, Stage.pipeline_id).order_by(Stage.position)).all())
    pipeline_id = stages[0].pipeline_id
    deals = [
        {
            "contact_id": n + 1,
            "pipeline_id": pipeline_id,
            "owner_id": managers[n % len(managers)],
            "created_at": START + timedelta(seconds=rng.uniform(0, 6 * 86400)),
            "updated_at": END,
        }
        for n in range(0, args.contacts, 5)
    ]
    session.execute(insert(Deal), deals)
    moves = []
    for deal_id, deal in enumerate(deals, start=1):
        reached = 0
        for rate in (0.9, 0.75, 0.8, 0.95):
            if rng.random() > rate:
                break
            reached += 1
        moves += [{"deal_id": deal_id, "to_stage_id": stages[k].id, "at": deal["created_at"]} for k in range(reached)]
    for first in range(0, len(moves), BATCH):
        session.execute(insert(DealStageMove), moves[first : first + BATCH])
    call_id = 0
    for first in range(0, args.calls, BATCH):
        rows, entries = [], []
        for n in range(first, min(args.calls, first + BATCH)):
            call_id += 1
            started = START + timedelta(seconds=rng.uniform(0, 7 * 86400))
            inbound = rng.random() < 0.8
            luck = rng.random()
            outcome = "answered" if luck < 0.7 else ("missed" if luck < 0.85 else "abandoned")
            if not inbound:
                outcome = "answered" if luck < 0.6 else "not_reached"
            contact = rng.randrange(args.contacts)
            queue = queues[n % len(queues)] if inbound else None
            operator = managers[n % len(managers)] if outcome == "answered" else None
            rows.append(
                {
                    "vendor": "bench",
                    "external_id": f"c{n}",
                    "direction": "inbound" if inbound else "outbound",
                    "state": "ended",
                    "outcome": outcome,
                    "number": phone(contact),
                    "contact_id": contact + 1,
                    "operator_id": operator,
                    "queue_id": queue,
                    "started_at": started,
                    "ended_at": started + timedelta(seconds=60),
                    "last_event_at": started,
                    "created_at": started,
                }
            )
            if inbound:
                wait = rng.randint(0, 60)
                entries.append(
                    {
                        "call_id": call_id,
                        "queue_id": queue,
                        "status": "connected" if outcome == "answered" else "exited",
                        "entered_at": started,
                        "deadline_at": started + timedelta(seconds=120),
                        "left_at": started + timedelta(seconds=wait),
                        "wait_seconds": wait,
                        "tried": [],
                    }
                )
        session.execute(insert(Call), rows)
        session.execute(insert(QueueEntry), entries)


def timed(url: str, work, rounds: int = 3, write: bool = False) -> float:
    """The best of ``rounds`` runs of a read (or a write), in seconds."""

    async def run() -> float:
        db = Database(url)
        try:
            best = float("inf")
            for _ in range(rounds):
                started = time.perf_counter()
                await (db.run(work) if write else db.read(work))
                best = min(best, time.perf_counter() - started)
            return best
        finally:
            await db.dispose()

    return asyncio.run(run())


async def _read(db: Database, work):
    try:
        return await db.read(work)
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--managers", type=int, default=50)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='callfunnel-bench-')}/reports.db"
    asyncio.run(upgrade_to_head_async(url))

    async def load() -> float:
        db = Database(url)
        started = time.perf_counter()
        try:
            await db.run(lambda session: fill(session, args))
        finally:
            await db.dispose()
        return time.perf_counter() - started

    loaded = asyncio.run(load())
    kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"{kind}: {args.calls:,} calls, {args.contacts:,} contacts, {args.managers} managers (loaded in {loaded:.0f} s)"
    )
    rebuilt = timed(url, lambda session: rollups.rebuild(session, timezone="UTC", fcr_days=7), rounds=1, write=True)
    print(f"  calls report's rollups rebuilt in {rebuilt:.0f} s (`callfunnel reports rebuild`)")
    period = {"since": START, "until": END}
    unaligned = {"since": START + timedelta(hours=5), "until": END - timedelta(hours=3)}
    cases = {"funnel report, by manager": partial(funnel.report, pipeline_id=None, by_manager=True, **period)}
    for by in ("queue", "operator", "day"):
        cases[f"calls report, by {by}"] = partial(calls.report, by=by, timezone="UTC", **period)
    cases["calls report, by queue, period off day boundaries"] = partial(
        calls.report, by="queue", timezone="UTC", **unaligned
    )
    # "Etc/UTC" has the same days, but is not the zone the rollups were built for: every day from raw rows
    cases["calls report, by queue, from raw rows (no rollups)"] = partial(
        calls.report, by="queue", timezone="Etc/UTC", **period
    )
    for name, work in cases.items():
        seconds = timed(url, lambda session, work=work: work(session=session))
        print(f"  {name}: {seconds:.2f} s (goal ≤ 1 s)")
        record(f"{name} ({kind}, {args.calls:,} calls)", "time", "<= 1 s", f"{seconds:.2f} s")

    rng = random.Random(3)
    numbers = [phone(rng.randrange(args.contacts)) for _ in range(5000)]

    def lookups(session) -> list[float]:
        times = []
        for number in numbers:
            started = time.perf_counter()
            session.execute(select(Contact.id).where(Contact.phone == number)).scalar_one()
            times.append(time.perf_counter() - started)
        return times

    times = sorted(asyncio.run(_read(Database(url), lookups)))
    p99 = times[int(0.99 * len(times))]
    print(
        f"  contact by phone: p50 {statistics.median(times) * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms "
        f"(goal p99 ≤ 1 ms; {len(times)} lookups in one read transaction)"
    )
    record(f"contact by phone ({kind})", "p99", "<= 1 ms", f"{p99 * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
