"""What metrics and JSON logs cost the webhook intake: bench/ingest.py's MANGO calls against two
callfunnels in the same run, one with ``METRICS_ENABLED=false`` and ``LOG_FORMAT=text``, one with
metrics on, ``LOG_FORMAT=json`` and a scrape of ``/metrics`` every 5 s (as Prometheus would);
both log at INFO with uvicorn's access lines, to files.  Phases alternate (off, on, off, on...)
so that drift in the machine hits both.  Prints events/s at saturation and p50/p99 at one fixed
rate (half the first "off" saturation) for each, and the overhead.
Usage: python bench/observability.py [--seconds 10] [--rounds 2]
"""

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from ingest import KEY, SALT, call_requests  # noqa: E402
from loadgen import paced, saturate  # noqa: E402
from results import record  # noqa: E402
from server import cpu_seconds, free_port, start_server  # noqa: E402

TOKEN = "bench-metrics-token"
SCRAPE_SECONDS = 5


class Scraper:
    """Scrapes ``/metrics`` every few seconds while it is on (only during the "on" phases)."""

    def __init__(self, port: int) -> None:
        self._url = f"http://127.0.0.1:{port}/metrics"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.scrapes = 0

    def __enter__(self) -> "Scraper":
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(SCRAPE_SECONDS):
            response = httpx.get(self._url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
            response.raise_for_status()
            self.scrapes += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=128)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="callfunnel-bench-")
    servers, logs = {}, []
    for name, on in (("off", False), ("on", True)):
        env = {
            **os.environ,
            "CALLFUNNEL_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/{name}.db",
            "CALLFUNNEL_MANGO_API_KEY": KEY,
            "CALLFUNNEL_MANGO_API_SALT": SALT,
            "CALLFUNNEL_LOG_LEVEL": "INFO",
            "CALLFUNNEL_LOG_FORMAT": "json" if on else "text",
            "CALLFUNNEL_METRICS_ENABLED": "true" if on else "false",
            "CALLFUNNEL_METRICS_TOKEN": TOKEN,
        }
        port = free_port()
        logs.append(open(f"{workdir}/{name}.log", "w"))  # noqa: SIM115 (open while the server runs)
        servers[name] = (port, start_server("app.main:app", port, env, access_log=True, output=logs[-1]))
    scraper = Scraper(servers["on"][0])
    ports = {name: port for name, (port, _process) in servers.items()}
    pids = {name: process.pid for name, (_port, process) in servers.items()}
    saturated: dict[str, list[float]] = {"off": [], "on": []}
    p50: dict[str, list[float]] = {"off": [], "on": []}
    p99: dict[str, list[float]] = {"off": [], "on": []}
    cpu_ms: dict[str, list[float]] = {"off": [], "on": []}  # server CPU per webhook at the paced rate
    rate = 0.0
    try:
        for round_ in range(args.rounds):
            for name in ("off", "on"):
                requests = call_requests(f"{name}-{round_}-full")
                with scraper if name == "on" else contextlib.nullcontext():
                    result = asyncio.run(
                        saturate(ports[name], requests, concurrency=args.concurrency, seconds=args.seconds)
                    )
                saturated[name].append(result.rate)
            rate = rate or saturated["off"][0] / 2  # one fixed rate for every paced phase: half the first saturation
            for name in ("off", "on"):
                requests = call_requests(f"{name}-{round_}-paced")
                used = cpu_seconds(pids[name])
                with scraper if name == "on" else contextlib.nullcontext():
                    result = asyncio.run(paced(ports[name], requests, rate=rate, seconds=args.seconds, connections=32))
                    time.sleep(1)  # (the processing that trails the last webhook)
                cpu_ms[name].append((cpu_seconds(pids[name]) - used) * 1000 / len(result.latencies))
                p50[name].append(result.percentile(50) * 1000)
                p99[name].append(result.percentile(99) * 1000)
    finally:
        for _port, process in servers.values():
            process.terminate()
            process.wait(10)
        for log in logs:
            log.close()

    off, on = statistics.mean(saturated["off"]), statistics.mean(saturated["on"])
    print(f"metrics and JSON logs on the webhook intake: SQLite, one worker, {args.rounds} alternating rounds of "
          f"{args.seconds:.0f} s, INFO logs with access lines, {scraper.scrapes} scrapes")  # fmt: skip
    print(f"{'':24}{'events/s saturated':>20}{'CPU ms/webhook':>16}{'p50 ms':>9}{'p99 ms':>9}")
    for name, label in (("off", "metrics off, text logs"), ("on", "metrics on, JSON logs")):
        print(
            f"{label:24}{statistics.mean(saturated[name]):>20.0f}{statistics.median(cpu_ms[name]):>16.3f}"
            f"{statistics.median(p50[name]):>9.2f}{statistics.median(p99[name]):>9.2f}"
            f"   saturated by round: {', '.join(f'{r:.0f}' for r in saturated[name])}"
        )
    print(f"(CPU, p50 and p99 at {rate:.0f} webhooks/s, medians of the rounds)")
    overhead = 1 - on / off
    cpu_overhead = statistics.median(cpu_ms["on"]) / statistics.median(cpu_ms["off"]) - 1
    print(f"throughput overhead: {overhead:.1%}; CPU per webhook: {cpu_overhead:+.1%}")
    for name in ("off", "on"):
        size = os.path.getsize(f"{workdir}/{name}.log")
        print(f"log written ({name}): {size / 1024 / 1024:.1f} MiB")
    record("metrics + JSON logs (SQLite, 1 worker)", "throughput overhead", "<= 5 %", f"{overhead:.1%}")
    record("metrics + JSON logs (SQLite, 1 worker)", "CPU per webhook, on vs off", "<= 5 %", f"{cpu_overhead:+.1%}")
    record(
        "metrics + JSON logs (SQLite, 1 worker)",
        "p99 at a fixed rate, on vs off",
        "-",
        f"{statistics.median(p99['on']):.1f} vs {statistics.median(p99['off']):.1f} ms",
    )


if __name__ == "__main__":
    main()
