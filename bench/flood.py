"""The worst day's flood at rising rates: the highest call rate one server sustains with zero lost calls.

For each rate, the simulated PBX (generic protocol, sync routing) plays ``rate x seconds`` calls on
20 simulated operators; then callfunnel's own report must hold every call with the outcome the PBX
saw.  Prints per rate: calls, lost, refused webhooks, webhook p50/p99, the routing decisions made
and those answered with the PBX's own plan (``SYNC_DECISION_DEADLINE_MS``, from ``/metrics``), how
long callfunnel took to settle, server memory; records the highest rate without loss, and the
highest that also answered the PBX's webhooks within 2 s (p99).  The server's own webhook timer
(its p99 bucket) says how much of the PBX's wait was spent in the handler.
Usage: python bench/flood.py [--rates 25,50,100,250] [--seconds 10] [--database-url URL] [--workers N]
[--processing separate] (default: a fresh SQLite file, one worker, processing in it).
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from loadgen import Connections, loop_lag  # noqa: E402
from results import record  # noqa: E402
from server import cli, free_port, rss_mib, start_processor, start_server  # noqa: E402

from telephony.simulator.operators import Behaviour  # noqa: E402
from telephony.simulator.pbx import Callers  # noqa: E402
from telephony.simulator.run import lines_of, reported_totals, set_up_floor, virtual_pbx  # noqa: E402
from telephony.simulator.wire import GenericWire  # noqa: E402

SECRET = "bench-generic-secret"
METRICS_TOKEN = "bench-metrics-token"
RESPONSIVE_MS = 2000  # a PBX waiting on a sync decision gives up after a few seconds
QUICK = Behaviour(answer_delay=(0.1, 0.8), reject_share=0.05, ring_out_share=0.05, break_share=0.0)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


async def server_counts(api: httpx.AsyncClient) -> dict[str, float]:
    """From the server's /metrics: routing decisions so far by result (decided, deadline, failed),
    and its own webhook timer's buckets (``le:<bound>``: answered within that many seconds of
    reaching the handler)."""
    scrape = await api.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    found: dict[str, float] = {}
    for line in scrape.text.splitlines():
        if line.startswith("callfunnel_routing_decisions_total{"):
            key = line.split('result="')[1].split('"')[0]
        elif line.startswith("callfunnel_webhook_duration_seconds_bucket{") and 'vendor="generic"' in line:
            key = "le:" + line.split('le="')[1].split('"')[0]
        else:
            continue
        found[key] = found.get(key, 0) + float(line.rsplit(" ", 1)[1])
    return found


def handler_p99(counts: dict[str, float]) -> str:
    """The smallest bucket bound holding 99 % of the webhooks, as the server timed them."""
    buckets = sorted((float(k[3:]), v) for k, v in counts.items() if k.startswith("le:"))
    total = buckets[-1][1] if buckets else 0
    bound = next((le for le, n in buckets if total and n >= 0.99 * total), float("nan"))
    return f"<= {bound:g} s" if bound != float("inf") else "> the largest bucket"


async def flood(port: int, token: str, rate: float, seconds: float, seed: int) -> dict:
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as api, Connections(port) as webhooks:
        rng, lines = random.Random(seed), lines_of("generic")
        floor = await set_up_floor(api, vendor="generic", operators=20, lines=lines, rng=rng, ring_timeout_seconds=5)
        pbx = virtual_pbx(
            wire=GenericWire(webhooks, secret=SECRET),
            floor=floor,
            url=base,
            behaviour=QUICK,
            lines=lines,
            callers=Callers(rate=rate, patience=8, repeat_share=0.0, talk_seconds=(1.0, 3.0), max_wait=40),
            rng=rng,
        )
        phones = list(pbx.operators.values())
        for phone in phones:
            await phone.log_in()
        began, counted_before = datetime.now(UTC), await server_counts(api)
        lags: list[float] = []
        watch = asyncio.create_task(loop_lag(lags))
        await pbx.run(seconds, calls=int(rate * seconds), drain_timeout=600)
        watch.cancel()
        played = time.monotonic()
        for phone in phones:
            await phone.log_out()
        totals = await reported_totals(api, began, pbx.tally)
        settled = time.monotonic() - played
        counted = {k: v - counted_before.get(k, 0) for k, v in (await server_counts(api)).items()}
    tally = pbx.tally
    recorded = sum(totals[k] for k in ("answered", "missed", "abandoned"))
    agree = all(totals[k] == getattr(tally, k) for k in ("answered", "missed", "abandoned"))
    return {
        "calls": tally.calls,
        "lost": tally.calls - recorded if agree else max(1, tally.calls - recorded),
        "refused": tally.webhooks_refused,
        "webhooks": len(pbx.wire.latencies),
        "p50_ms": 1000 * statistics.median(pbx.wire.latencies),
        "p99_ms": 1000 * percentile(pbx.wire.latencies, 99),
        "settle_s": settled,
        "handler_p99": handler_p99(counted),
        "loop_lag_p99_ms": 1000 * percentile(lags, 99),
        "decided": int(counted.get("decided", 0)),
        "fell_back": int(sum(v for k, v in counted.items() if k != "decided" and not k.startswith("le:"))),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="25,50,100,250", help="calls a second, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--processing", choices=("in_process", "separate"), default="in_process")
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="callfunnel-flood-")
    url = args.database_url or f"sqlite+aiosqlite:///{directory}/flood.db"
    env = os.environ | {
        "CALLFUNNEL_DATABASE_URL": url,
        "CALLFUNNEL_GENERIC_SECRET": SECRET,
        "CALLFUNNEL_LOG_LEVEL": "ERROR",  # (a decision past its deadline is a warning: counted below instead)
        "CALLFUNNEL_METRICS_TOKEN": METRICS_TOKEN,
        "CALLFUNNEL_PROCESSING": args.processing,
    }
    if args.processing == "separate":  # (the processor's live events reach the panels at the bus's poll)
        env["CALLFUNNEL_EVENT_POLL_SECONDS"] = "0.1"
    if args.workers > 1:  # every worker's counts in each scrape, as `callfunnel serve --workers` sets up
        env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="callfunnel-flood-metrics-")
    cli(env, "db", "upgrade")
    token = cli(env, "user", "add", f"flood-{int(time.time())}", "--role", "admin")
    port = free_port()
    server = start_server("app.main:app", port, env, workers=args.workers)
    processor = start_processor(env) if args.processing == "separate" else None
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    where = f"{database}, {args.workers} worker{'s' if args.workers > 1 else ''}"
    where += ", processing separate" if processor else ""
    lossless = sustained = 0.0
    try:
        print(f"flood on {where}: 20 operators, {args.seconds:.0f} s of arrivals per rate")
        for seed, rate in enumerate(float(r) for r in args.rates.split(",")):
            result = asyncio.run(flood(port, token, rate, args.seconds, seed + 1))
            print(
                f"  {rate:5.0f} calls/s: {result['calls']} calls, lost {result['lost']}, refused webhooks "
                f"{result['refused']}, {result['webhooks']} webhooks p50 {result['p50_ms']:.0f} ms p99 "
                f"{result['p99_ms']:.0f} ms (the server's own p99 {result['handler_p99']}; the load generator's "
                f"event loop late by {result['loop_lag_p99_ms']:.0f} ms p99), "
                f"decisions made {result['decided']} "
                f"({100 * result['decided'] / max(1, result['decided'] + result['fell_back']):.1f} %), "
                f"fell back {result['fell_back']}, settled {result['settle_s']:.1f} s after the last call, "
                f"server RSS {rss_mib(server.pid):.0f} MiB",
                flush=True,
            )
            if result["lost"] == 0 and result["refused"] == 0:
                lossless = rate
                if result["p99_ms"] <= RESPONSIVE_MS:
                    sustained = rate
        goal = "250 calls/s (5x the worst day)"
        record(f"flood ({where})", "highest rate, zero lost calls", goal, f"{lossless:.0f} calls/s")
        record(
            f"flood ({where})",
            f"... and webhooks p99 <= {RESPONSIVE_MS / 1000:.0f} s",
            goal,
            f"{sustained:.0f} calls/s",
        )
    finally:
        for process in (server, processor):
            if process is not None:
                process.terminate()
                process.wait()


if __name__ == "__main__":
    main()
