"""Live-client benchmark: webhooks in, websocket frames out.

1. 1,000 operator panels (in 20 round-robin queues of 50, one line each) and 20 supervisor feeds
   connected; signed generic-protocol webhooks at 100 calls/s: each call is offered to one free
   operator (``incoming``), then the caller hangs up (``ended``) and the call is missed.
   Measured at the client: p50/p99 from sending the ``incoming`` webhook to the ``offer`` frame
   at the operator's panel, and from sending ``ended`` to the ``missed_call`` frame at (all)
   the supervisors.
2. 10,000 idle panels (10 per operator): the server's RSS before and after.
The load generator runs beside the server on the same cores; its CPU time and its event loop's lag
are reported.

Usage: python bench/realtime.py [--rate 100] [--seconds 20] [--operators 1000] [--queues 20]
       [--supervisors 20] [--idle 10000] [--database-url URL]   (default: a fresh SQLite file)
"""

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bench.loadgen import Connections, loop_lag  # noqa: E402
from bench.results import record  # noqa: E402
from bench.routing import GENERIC_SECRET, LINE, generic_post, percentile  # noqa: E402
from bench.server import cli, free_port, rss_mib, start_server  # noqa: E402


def raise_open_files_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def line(queue: int) -> str:
    return LINE[:-3] + f"{queue:03d}"


async def set_up(base: str, admin: str, operators: int, queues: int) -> list[str]:
    """Operators (offline until their panel says available) spread over round-robin queues, one line
    each (a sales floor of a thousand works in teams); returns their tokens."""
    headers = {"Authorization": f"Bearer {admin}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        created = []
        for n in range(operators):
            body = {"name": f"op{n}", "extension": str(1000 + n), "wrap_up_seconds": 0}
            created.append((await http.post("/api/operators", json=body)).raise_for_status().json())
        for q in range(queues):
            queue = {"name": f"team{q}", "numbers": [line(q)], "strategy": "round_robin", "sticky": False}
            queue_id = (await http.post("/api/queues", json=queue)).raise_for_status().json()["id"]
            team = created[q::queues]
            members = [{"operator_id": op["id"], "position": p} for p, op in enumerate(team)]
            (await http.put(f"/api/queues/{queue_id}/members", json=members)).raise_for_status()
    return [op["token"] for op in created]


class Panels:
    """The operators' panels: each goes available and records when offers arrive."""

    def __init__(self) -> None:
        self.offers: dict[int, asyncio.Future] = {}  # offer id -> when its frame arrived (set on arrival)
        self.connections = []

    def arrival(self, offer_id: int) -> asyncio.Future:
        """When the offer's frame arrives (awaited, not polled for: a poll every few milliseconds per
        waiting call was most of the load generator's CPU at 100 calls/s, and its lag in the figures)."""
        return self.offers.setdefault(offer_id, asyncio.get_running_loop().create_future())

    async def open(self, ws: str, token: str) -> None:
        connection = await connect(f"{ws}/ws/operator?token={token}", max_queue=None, open_timeout=60)
        self.connections.append(connection)
        json.loads(await connection.recv())  # snapshot
        await connection.send(json.dumps({"type": "set_state", "v": 1, "id": "s", "state": "available"}))
        while json.loads(await connection.recv()).get("id") != "s":  # until the ack
            pass
        asyncio.create_task(self._read(connection))

    async def _read(self, connection) -> None:
        async for text in connection:
            frame = json.loads(text)
            if frame["type"] == "offer" and not (arrived := self.arrival(frame["offer_id"])).done():
                arrived.set_result(time.perf_counter())


class Feeds:
    def __init__(self, count: int) -> None:
        self.count = count
        self.missed: dict[str, list[float]] = {}

    async def open(self, ws: str, token: str) -> None:
        connection = await connect(f"{ws}/ws/supervisor?token={token}", max_queue=None, open_timeout=60)
        json.loads(await connection.recv())  # snapshot
        asyncio.create_task(self._read(connection))

    async def _read(self, connection) -> None:
        async for text in connection:
            frame = json.loads(text)
            if frame["type"] == "missed_call":
                self.missed.setdefault(frame["number"], []).append(time.perf_counter())


async def traffic(port: int, ws: str, admin: str, tokens: list[str], args) -> dict:
    panels, feeds = Panels(), Feeds(args.supervisors)
    for chunk in range(0, len(tokens), 100):
        await asyncio.gather(*(panels.open(ws, t) for t in tokens[chunk : chunk + 100]))
    for _ in range(args.supervisors):
        await feeds.open(ws, admin)
    await asyncio.sleep(1)
    print("traffic starts", flush=True)
    offer_latency, missed_latency, reply_latency, after_reply, sent_incoming, sent_ended = [], [], [], [], {}, {}
    cpu_before, lags = time.process_time(), []
    watch = asyncio.create_task(loop_lag(lags))
    # The webhooks go on the flood's keep-alive connections (a connection per webhook in flight, as
    # a PBX sends them): httpx's pool of 64, past 80 calls/s, spent most of the load generator's CPU
    # assigning queued requests to connections, and that queueing was timed as the server's wait.
    async with Connections(port) as http:

        async def call(n: int) -> None:
            call_id, number = f"rt-{n}", f"+7901{n:07d}"
            sent_incoming[call_id] = time.perf_counter()
            incoming = {"event": "incoming", "call_id": call_id, "from": number, "to": line(n % args.queues)}
            reply = (await generic_post(http, incoming)).json()
            replied = time.perf_counter()
            reply_latency.append(replied - sent_incoming[call_id])
            if reply["route"]["action"] != "ring":
                return
            arrived = await asyncio.wait_for(panels.arrival(reply["route"]["targets"][0]["offer_id"]), 10)
            offer_latency.append(arrived - sent_incoming[call_id])
            after_reply.append(arrived - replied)
            await asyncio.sleep(0.2)
            sent_ended[number] = time.perf_counter()
            await generic_post(http, {"event": "ended", "call_id": call_id, "reason": "caller_hung_up"})

        tasks = []
        started = time.perf_counter()
        for n in range(int(args.rate * args.seconds)):
            tasks.append(asyncio.create_task(call(n)))
            await asyncio.sleep(max(0.0, started + (n + 1) / args.rate - time.perf_counter()))
        results = await asyncio.gather(*tasks, return_exceptions=True)
        lost_offers = sum(isinstance(r, Exception) for r in results)
        watch.cancel()
        await asyncio.sleep(3)
    for number, sent in sent_ended.items():
        for arrived in feeds.missed.get(number, []):
            missed_latency.append(arrived - sent)
    return {
        "calls": len(sent_incoming),
        "offers": len(offer_latency),
        "lost": lost_offers,
        "offer": offer_latency,
        "reply": reply_latency,
        "after_reply": after_reply,
        "missed": missed_latency,
        "missed_expected": len(sent_ended) * args.supervisors,
        "cpu": time.process_time() - cpu_before,
        "loop_lag": lags,
        "elapsed": time.perf_counter() - started,
    }


async def idle_panels(ws: str, tokens: list[str], count: int) -> list:
    """Opens ``count`` panels (200 at a time); returns those that got their snapshot."""

    async def panel(token: str):
        connection = await connect(f"{ws}/ws/operator?token={token}", open_timeout=120)
        frame = json.loads(await asyncio.wait_for(connection.recv(), 120))
        return connection if frame["type"] == "snapshot" else None

    connections = []
    for chunk in range(0, count, 200):
        opened = await asyncio.gather(
            *(panel(tokens[i % len(tokens)]) for i in range(chunk, min(count, chunk + 200))), return_exceptions=True
        )
        connections += [c for c in opened if c is not None and not isinstance(c, BaseException)]
    return connections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--operators", type=int, default=1000)
    parser.add_argument("--supervisors", type=int, default=20)
    parser.add_argument("--queues", type=int, default=20)
    parser.add_argument("--idle", type=int, default=10000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    files = raise_open_files_limit()
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='callfunnel-bench-')}/realtime.db"
    env = {
        **os.environ,
        "CALLFUNNEL_DATABASE_URL": url,
        "CALLFUNNEL_GENERIC_SECRET": GENERIC_SECRET,
        "CALLFUNNEL_LOG_LEVEL": "WARNING",
        "CALLFUNNEL_TIMEZONE": "UTC",
    }
    admin = cli(env, "user", "add", "bench-admin", "--role", "admin")
    port = free_port()
    server = start_server("app.main:app", port, env)
    base, ws = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    try:
        tokens = asyncio.run(set_up(base, admin, args.operators, args.queues))
        before = rss_mib(server.pid)
        measured = asyncio.run(traffic(port, ws, admin, tokens, args))

        async def idle() -> tuple[float, float]:
            empty = rss_mib(server.pid)
            connections = await idle_panels(ws, tokens, args.idle)
            await asyncio.sleep(2)
            full = rss_mib(server.pid)
            for connection in connections:
                await connection.close()
            return empty, full, len(connections)

        empty, full, opened = asyncio.run(idle())
    finally:
        server.terminate()
        server.wait(30)
    kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    ms = 1000
    offer, missed = measured["offer"], measured["missed"]
    print(f"{kind}, one uvicorn worker; open-files limit {files}")
    print(
        f"  {args.operators} panels in {args.queues} queues + {args.supervisors} supervisors, "
        f"{args.rate:g} calls/s for {args.seconds:g} s: "
        f"{measured['calls']} calls, {measured['offers']} offers seen ({measured['lost']} calls without one)"
    )
    p50, p99 = percentile(offer, 50) * ms, percentile(offer, 99) * ms
    print(f"  webhook -> offer at the panel: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    record(f"live panels ({kind}, {args.rate:g} calls/s)", "webhook -> offer p99", "<= 20 ms at 100 calls/s",
           f"{p99:.0f} ms")  # fmt: skip
    reply = measured["reply"]
    after = measured["after_reply"]
    print(
        f"  (the webhook's own reply, the routing decision: p50 {percentile(reply, 50) * ms:.1f} ms, "
        f"p99 {percentile(reply, 99) * ms:.1f} ms; the offer frame after that reply: "
        f"p50 {percentile(after, 50) * ms:.1f} ms, p99 {percentile(after, 99) * ms:.1f} ms)"
    )
    print(
        f"  webhook -> missed_call at the supervisors: p50 {percentile(missed, 50) * ms:.1f} ms, "
        f"p99 {percentile(missed, 99) * ms:.1f} ms ({len(missed)} of {measured['missed_expected']} frames)"
    )
    print(
        f"  load generator CPU: {measured['cpu'] / measured['elapsed'] * 100:.0f} % of one core; its event loop "
        f"late by p99 {percentile(measured['loop_lag'], 99) * ms:.0f} ms (in every figure above)"
    )
    print(
        f"  server RSS: {before:.0f} MiB at start; {empty:.0f} MiB before, {full:.0f} MiB with {args.idle} idle panels"
    )
    record(
        f"live panels ({kind})", f"server RSS with {args.idle} idle panels", "<= 1 GiB for 10,000", f"{full:.0f} MiB"
    )


if __name__ == "__main__":
    main()
