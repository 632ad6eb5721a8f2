"""How cost grows with the work: webhook intake and ``/api/calls`` with 10 k and with 1 M calls stored.

For each size a fresh database is filled as bench/reports.py fills it (a week of calls, contacts,
managers, queues, deals), then a live server takes MANGO call sequences at saturation, then the
Zadarma stream (bench/ingest.py's: half the calls missed, so each one recounts a callback), and
``/api/calls`` is read (the newest page, and one client's calls by number) to p50/p99.
Goal: with 1 M calls no more than 1.3x slower than with 10 k.
Usage: python bench/growth.py [--sizes 10000,1000000] [--seconds 10] [--database-url URL]
(PostgreSQL: a server URL; a database per size is created in it).
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from ingest import KEY, SALT, SECRET, call_requests, zadarma_requests  # noqa: E402
from loadgen import saturate  # noqa: E402
from reports import fill, phone  # noqa: E402
from results import record  # noqa: E402
from server import cli, free_port, start_server  # noqa: E402

from app.database import Database  # noqa: E402
from app.migrations import upgrade_to_head_async  # noqa: E402


async def fresh_database(args, size: int) -> str:
    if not args.database_url:
        return f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='callfunnel-growth-')}/growth.db"
    name = f"growth_{size}"
    server = make_url(args.database_url)
    conn = await asyncpg.connect(server.set(drivername="postgresql").render_as_string(hide_password=False))
    await conn.execute(f"DROP DATABASE IF EXISTS {name}")
    await conn.execute(f"CREATE DATABASE {name}")
    await conn.close()
    return server.set(database=name).render_as_string(hide_password=False)


async def load(url: str, size: int) -> float:
    await upgrade_to_head_async(url)
    db = Database(url)
    started = time.perf_counter()
    try:
        shape = SimpleNamespace(calls=size, contacts=max(1000, size // 10), managers=50)
        await db.run(lambda session: fill(session, shape))
    finally:
        await db.dispose()
    return time.perf_counter() - started


async def read_times(base: str, token: str, contacts: int, rounds: int = 300) -> list[float]:
    rng, times = random.Random(5), []
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        for n in range(rounds):
            params = {"limit": 50} if n % 2 else {"number": phone(rng.randrange(contacts)), "limit": 50}
            started = time.perf_counter()
            response = await http.get("/api/calls", params=params)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return sorted(times)


def measure(args, size: int) -> dict:
    url = asyncio.run(fresh_database(args, size))
    loaded = asyncio.run(load(url, size))
    env = os.environ | {
        "CALLFUNNEL_DATABASE_URL": url,
        "CALLFUNNEL_MANGO_API_KEY": KEY,
        "CALLFUNNEL_MANGO_API_SALT": SALT,
        "CALLFUNNEL_ZADARMA_SECRET": SECRET,
        "CALLFUNNEL_LOG_LEVEL": "WARNING",
    }
    token = cli(env, "user", "add", f"growth-{time.time_ns()}", "--role", "admin")
    port = free_port()
    server = start_server("app.main:app", port, env)
    try:
        reads = asyncio.run(read_times(f"http://127.0.0.1:{port}", token, max(1000, size // 10)))
        ingest = asyncio.run(saturate(port, call_requests(f"g{size}"), concurrency=64, seconds=args.seconds))
        stream = asyncio.run(saturate(port, zadarma_requests(f"g{size}"), concurrency=32, seconds=args.seconds))
    finally:
        server.terminate()
        server.wait(10)
    return {
        "loaded_s": loaded,
        "ingest": ingest.rate,
        "zadarma": stream.rate,
        "p50_ms": 1000 * statistics.median(reads),
        "p99_ms": 1000 * reads[int(0.99 * len(reads))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    kind = "PostgreSQL" if args.database_url else "SQLite"
    results = {}
    for size in (int(s) for s in args.sizes.split(",")):
        results[size] = result = measure(args, size)
        print(
            f"{kind}, {size:,} calls stored (loaded in {result['loaded_s']:.0f} s): intake {result['ingest']:.0f} "
            f"events/s (Zadarma stream {result['zadarma']:.0f}); /api/calls p50 {result['p50_ms']:.1f} ms, "
            f"p99 {result['p99_ms']:.1f} ms",
            flush=True,
        )
    small, large = results[min(results)], results[max(results)]
    sizes = f"{min(results):,} -> {max(results):,} calls ({kind})"
    record(f"growth {sizes}", "intake slowdown", "<= 1.3x", f"{small['ingest'] / large['ingest']:.2f}x")
    record(f"growth {sizes}", "Zadarma stream slowdown", "<= 1.3x", f"{small['zadarma'] / large['zadarma']:.2f}x")
    record(f"growth {sizes}", "/api/calls p99 slowdown", "<= 1.3x", f"{large['p99_ms'] / small['p99_ms']:.2f}x")


if __name__ == "__main__":
    main()
