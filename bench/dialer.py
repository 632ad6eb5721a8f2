"""The dialer under a whole first line: ``--contacts`` contacts on one call list and ``--managers``
managers who all ask for their next contact at the same moment, ``--rounds`` times (each then
writes a result: ``wrong_number``, the contact leaves the list).  Prints ``next``'s p50/p99 and
checks no contact went to two managers.  callfunnel on loopback, SQLite by default
(``--database-url`` for PostgreSQL, ``--workers`` there).

Usage: python bench/dialer.py [--contacts 100000] [--managers 50] [--rounds 10]
"""

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from app.auth.models import Role, User  # noqa: E402
from app.contacts.models import Contact  # noqa: E402
from app.crm.models import Pipeline  # noqa: E402
from app.database import Database  # noqa: E402
from app.lists.models import CallList, ListContact, ListMember  # noqa: E402
from app.migrations import upgrade_to_head_async  # noqa: E402
from app.operators import service as operators_service  # noqa: E402
from bench.results import record  # noqa: E402
from bench.routing import percentile  # noqa: E402
from tests.live_server import Server  # noqa: E402

ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def seed(url: str, contacts: int, managers: int) -> tuple[int, list[str]]:
    """The list, its contacts and members, written straight into the database (fast)."""
    await upgrade_to_head_async(url)
    db = Database(url)
    now = datetime.now(UTC)
    try:
        tokens = []
        for n in range(managers):
            _, token = await db.run(
                lambda s, n=n: operators_service.create_user(
                    session=s, name=f"caller{n}", role=Role.operator, extension=f"5{n:03d}"
                )
            )
            tokens.append(token)

        def write(session) -> int:
            pipeline = session.execute(select(Pipeline.id).order_by(Pipeline.id)).scalar()
            call_list = CallList(
                name="bench", pipeline_id=pipeline, hours=ALL_DAY, timezone="Europe/Moscow", basis="b2b", created_at=now
            )
            session.add(call_list)
            session.flush()
            for start in range(0, contacts, 10_000):
                rows = [
                    {
                        "phone": f"+7495{n:07d}",
                        "phone_raw": f"+7495{n:07d}",
                        "vip": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in range(start, min(start + 10_000, contacts))
                ]
                session.execute(insert(Contact), rows)
            ids = session.execute(select(Contact.id)).scalars().all()
            for start in range(0, len(ids), 10_000):
                session.execute(
                    insert(ListContact),
                    [
                        {"list_id": call_list.id, "contact_id": i, "status": "waiting", "attempts": 0, "due_at": now}
                        for i in ids[start : start + 10_000]
                    ],
                )
            users = session.execute(select(User.id).where(User.name.like("caller%")))
            session.execute(insert(ListMember), [{"list_id": call_list.id, "operator_id": u} for u in users.scalars()])
            return call_list.id

        return await db.run(write), tokens
    finally:
        await db.dispose()


async def round_of_asks(client: httpx.AsyncClient, list_id: int, tokens: list[str], times: list, worked: list) -> bool:
    """Every manager asks for their next contact at the same moment (timed), then each writes a
    result (untimed): a first line starting its calls together.  False when nothing was due."""

    async def ask(token: str) -> dict | None:
        started = time.perf_counter()
        response = await client.post(f"/api/lists/{list_id}/next", headers={"Authorization": f"Bearer {token}"})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 204), response.text
        return response.json() if response.status_code == 200 else None

    attempts = await asyncio.gather(*(ask(token) for token in tokens))
    for token, attempt in zip(tokens, attempts, strict=True):
        if attempt is None:
            continue
        worked.append(attempt["contact"]["id"])
        done = await client.post(
            f"/api/attempts/{attempt['attempt_id']}/result",
            json={"result": "wrong_number"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert done.status_code == 200, done.text
    return any(attempts)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--managers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        list_id, tokens = await seed(url, args.contacts, args.managers)
        server = Server(url, Path(folder) / "server.log", workers=args.workers)
        await server.start()
        try:
            times, worked = [], []
            limits = httpx.Limits(max_connections=args.managers)
            async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
                for _ in range(args.rounds):
                    if not await round_of_asks(client, list_id, tokens, times, worked):
                        break
        finally:
            server.stop()
    where = f"{'PostgreSQL' if args.database_url else 'SQLite'}, {args.workers} worker(s)"
    record(
        "dialer",
        f"next, {args.contacts:,} contacts, {args.managers} managers at once ({where})",
        "p99 <= 200 ms",
        f"p50 {percentile(times, 50):.0f} ms, p99 {percentile(times, 99):.0f} ms over {len(times)} requests",
    )
    assert len(worked) == len(set(worked)), "a contact was given to two managers"
    print(f"  {len(worked)} contacts worked, none twice")


if __name__ == "__main__":
    asyncio.run(main())
