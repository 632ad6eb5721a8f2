"""Routing benchmark: decision time of each strategy, and dispatch through the database.

1. ``routing.decide`` alone, at 10, 100 and 1,000 operators (half of them free): p50/p99.
2. Routing decisions per second through a live callfunnel (uvicorn on loopback): 100 free operators,
   generic-protocol ``incoming`` webhooks answered with the decision, each call then hung up
   (freeing its operator), from concurrent clients; p50/p99 of the deciding webhook.
3. Zadarma ``NOTIFY_START`` (the decision in the reply) paced at 20 calls/s: p50/p99 (the
   budget is 50 ms p99).

Usage: python bench/routing.py [--seconds 10] [--database-url URL ...] (default: a fresh
SQLite file; pass a PostgreSQL URL, e.g. from scripts/postgres-cluster.sh, to add it).
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from results import record  # noqa: E402
from server import cli, free_port, rss_mib, start_server  # noqa: E402

from routing import Member, QueuePolicy, Sticky, Strategy, WaitingCall, decide  # noqa: E402
from telephony import generic  # noqa: E402
from telephony.zadarma import webhooks as zadarma  # noqa: E402

GENERIC_SECRET, ZADARMA_SECRET = "bench-generic", "bench-zadarma"
LINE = "+74951234567"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def decision_times(size: int, strategy: Strategy, rounds: int = 2000) -> list[float]:
    rng = random.Random(size)
    t0 = datetime(2026, 11, 23, tzinfo=UTC)
    members = [
        Member(
            operator_id=i,
            position=i,
            available=rng.random() < 0.5,
            skills={"sales": rng.randint(0, 10)},
            idle_since=t0 - timedelta(seconds=rng.randint(0, 3600)),
        )
        for i in range(1, size + 1)
    ]
    policy = QueuePolicy(strategy, skill="sales", escalate_after_seconds=30)
    times, last = [], None
    for n in range(rounds):
        call = WaitingCall(
            waited_seconds=n % 60, sticky=Sticky(size + 1, "owner", available=False), tried=frozenset({1, 2})
        )
        start = time.perf_counter()
        decision = decide(policy, members, call, last_offered=last)
        times.append(time.perf_counter() - start)
        last = decision.operator_ids[-1] if decision else last
    return times


async def set_up(base: str, admin: str, operators: int) -> None:
    headers = {"Authorization": f"Bearer {admin}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        ids = []
        for n in range(operators):
            body = {"name": f"op{n}", "extension": str(1000 + n), "wrap_up_seconds": 0}
            ids.append((await http.post("/api/operators", json=body)).raise_for_status().json()["id"])
            (await http.post(f"/api/operators/{ids[-1]}/state", json={"state": "available"})).raise_for_status()
        queue = {
            "name": "bench",
            "numbers": [LINE],
            "strategy": "round_robin",
            "sticky": False,
            "max_wait_seconds": 3600,
        }
        queue_id = (await http.post("/api/queues", json=queue)).raise_for_status().json()["id"]
        members = [{"operator_id": i, "position": p} for p, i in enumerate(ids)]
        (await http.put(f"/api/queues/{queue_id}/members", json=members)).raise_for_status()


def generic_post(http: httpx.AsyncClient, payload: dict):
    body = json.dumps(payload).encode()
    headers = {generic.SIGNATURE_HEADER: generic.sign(GENERIC_SECRET, body), "content-type": "application/json"}
    return http.post("/pbx/generic/events", content=body, headers=headers)


async def dispatch_throughput(base: str, seconds: float, concurrency: int) -> tuple[int, float, list[float]]:
    """Returns how many decisions rang an operator, the time taken, and every decision's latency."""
    routed, latencies = 0, []
    deadline = time.perf_counter() + seconds

    async def client(worker: int) -> None:
        nonlocal routed
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            n = 0
            while time.perf_counter() < deadline:
                call_id, n = f"w{worker}-{n}", n + 1
                start = time.perf_counter()
                reply = await generic_post(
                    http, {"event": "incoming", "call_id": call_id, "from": f"+7900{worker:03d}{n:05d}", "to": LINE}
                )
                latencies.append(time.perf_counter() - start)
                routed += reply.json()["route"]["action"] == "ring"
                await generic_post(http, {"event": "ended", "call_id": call_id, "reason": "caller_hung_up"})

    started = time.perf_counter()
    await asyncio.gather(*(client(w) for w in range(concurrency)))
    return routed, time.perf_counter() - started, latencies


async def zadarma_paced(base: str, seconds: float, rate: float) -> list[float]:
    latencies, pending = [], []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:

        async def call(n: int) -> None:
            form = {
                "event": "NOTIFY_START",
                "call_start": "2026-11-23 12:00:00",
                "pbx_call_id": f"in_bench{n}",
                "caller_id": f"7911{n:07d}",
                "called_did": LINE.lstrip("+"),
            }
            start = time.perf_counter()
            (
                await http.post("/pbx/zadarma", data=form, headers={"Signature": zadarma.sign(ZADARMA_SECRET, form)})
            ).raise_for_status()
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(1)
            end = dict(form, event="NOTIFY_END", disposition="cancel", duration="0")
            await http.post("/pbx/zadarma", data=end, headers={"Signature": zadarma.sign(ZADARMA_SECRET, end)})

        for n in range(int(seconds * rate)):
            pending.append(asyncio.create_task(call(n)))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*pending)
    return latencies


def through_database(url: str, args) -> None:
    env = {
        **os.environ,
        "CALLFUNNEL_DATABASE_URL": url,
        "CALLFUNNEL_GENERIC_SECRET": GENERIC_SECRET,
        "CALLFUNNEL_ZADARMA_SECRET": ZADARMA_SECRET,
        "CALLFUNNEL_LOG_LEVEL": "WARNING",
        "CALLFUNNEL_TIMEZONE": "UTC",
    }
    admin = cli(env, "user", "add", "bench-admin", "--role", "admin")
    port = free_port()
    server = start_server("app.main:app", port, env)
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(set_up(base, admin, args.operators))
        routed, elapsed, latencies = asyncio.run(dispatch_throughput(base, args.seconds, args.concurrency))
        paced = asyncio.run(zadarma_paced(base, args.seconds, 20))
        memory = rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    ms = 1000
    print(f"\n{kind}, one uvicorn worker, {args.operators} operators, round robin")
    print(
        f"  dispatch through the database: {len(latencies) / elapsed:.0f} decisions/s, "
        f"of which {routed / elapsed:.0f}/s rang an operator ({args.concurrency} clients; deciding webhook "
        f"p50 {percentile(latencies, 50) * ms:.1f} ms, p99 {percentile(latencies, 99) * ms:.1f} ms)"
    )
    print("  (the others waited: their operators were still ringing on calls whose hang-up, acknowledged")
    print("   at once, was still in the inbox queue)")
    print(
        f"  Zadarma NOTIFY_START at 20 calls/s: p50 {percentile(paced, 50) * ms:.1f} ms, "
        f"p99 {percentile(paced, 99) * ms:.1f} ms ({len(paced)} calls); server RSS {memory:.0f} MiB"
    )
    record(f"routing through the database ({kind})", "decisions/s", "-", f"{len(latencies) / elapsed:.0f}")
    record(f"routing through the database ({kind})", "Zadarma NOTIFY_START p99 at 20 calls/s", "-",
           f"{percentile(paced, 99) * ms:.0f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--operators", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", action="append", default=[])
    args = parser.parse_args()

    print("routing.decide, half of the operators free (µs)")
    print(f"{'strategy':16}" + "".join(f"{f'{n} ops p50/p99':>20}" for n in (10, 100, 1000)))
    for strategy in Strategy:
        cells = []
        for size in (10, 100, 1000):
            times = decision_times(size, strategy)
            cells.append(f"{percentile(times, 50) * 1e6:.1f} / {percentile(times, 99) * 1e6:.1f}")
        print(f"{strategy.value:16}" + "".join(f"{c:>20}" for c in cells))
        record(
            f"routing.decide, {strategy.value}", "p99 at 1,000 operators", "<= 1 ms", f"{cells[-1].split(' / ')[1]} µs"
        )
    print(
        f"(mean over all: {statistics.mean(decision_times(1000, Strategy.skill_priority)) * 1e6:.0f} µs "
        "for skill_priority at 1,000)"
    )

    urls = args.database_url or [f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='callfunnel-bench-')}/routing.db"]
    for url in urls:
        through_database(url, args)


if __name__ == "__main__":
    main()
