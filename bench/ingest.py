"""Webhook intake benchmark: MANGO call sequences (or, with ``--vendor zadarma``, the Zadarma
stream) against a live callfunnel on loopback, SQLite in a fresh file.

Prints events/s at saturation, p50/p99 response times at half that rate, the same for a no-op
FastAPI endpoint in the same run (the floor), the ratio, the processing lag (acknowledged ->
call state updated) at half the saturated rate, the sustained rate, and the server's memory.
The saturated rate counts acknowledgements: the inbox absorbs what the processor cannot keep up
with (acknowledgements go before processing batches).  The sustained rate is the highest of 80,
70, 60 and 50 % of the saturated rate at which the processing lag p99 stays <= 1 s (the goal's
condition at 80 %); each paced phase starts once the phase before has been processed.
With ``--flame DIR``, py-spy samples the server during the saturated phase and
writes ``DIR/<vendor>.svg``: a flame graph per thread (the event loop's is the intake, the SQLite
writer's the processor).
With ``--processing separate`` the server only stores, acknowledges and decides, and a ``callfunnel
process`` beside it processes (``PROCESSING=separate``).
Usage: python bench/ingest.py [--seconds 10] [--vendor mango|zadarma] [--processing separate] [--flame docs/perf].
"""

import argparse
import asyncio
import itertools
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from loadgen import Results, paced, post_request, saturate  # noqa: E402
from results import record  # noqa: E402
from server import free_port, rss_mib, start_processor, start_server  # noqa: E402

from telephony.mango import webhooks as mango  # noqa: E402
from telephony.mango.script import InboundCall  # noqa: E402
from telephony.zadarma import webhooks as zadarma  # noqa: E402

KEY, SALT, SECRET = "bench-key", "bench-salt", "bench-zadarma-secret"
CALLERS = itertools.count()  # every call of a run from a number of its own, whatever its phase
SUSTAINED_SHARES = (0.8, 0.7, 0.6, 0.5)  # of the saturated rate, tried in turn for the sustained rate
SUSTAINED_LAG = 1.0  # seconds: the processing lag p99 at which a rate counts as sustained


def caller() -> str:
    return f"7900{next(CALLERS) % 10_000_000:07d}"


def call_requests(phase: str):
    """Endless realistic MANGO calls: two in three answered after one operator missed, one in three missed."""
    start = int(time.time()) - 86400  # recent: older webhooks are refused (WEBHOOK_MAX_AGE_DAYS)
    for n in itertools.count():
        call = InboundCall(f"{phase}-{n}", caller(), start + n)
        script = call.missed(rung=("101", "102")) if n % 3 == 2 else call.answered(missed_by=("101",), extension="102")
        yield [post_request(f"/pbx/mango/{path}", mango.signed_form(KEY, SALT, payload)) for path, payload in script]


def zadarma_requests(phase: str):
    """Endless unique Zadarma calls, the stream the peers were measured on: NOTIFY_START (answered
    ``proceed``: no queue on the line), NOTIFY_INTERNAL, then NOTIFY_ANSWER and an answered
    NOTIFY_END, or (every other call) a NOTIFY_END nobody answered."""
    started = datetime.now(ZoneInfo("Europe/Moscow")).strftime("%Y-%m-%d %H:%M:%S")  # (the PBX's local time)
    for n in itertools.count():
        common = {"call_start": started, "pbx_call_id": f"in_{phase}_{n}", "caller_id": caller()}
        inbound = common | {"called_did": "74951234567"}
        forms = [{"event": "NOTIFY_START", **inbound}, {"event": "NOTIFY_INTERNAL", **inbound, "internal": "101"}]
        if n % 2:
            end = {"duration": "0", "disposition": "no answer", "status_code": "19", "is_recorded": "0"}
            forms.append({"event": "NOTIFY_END", **inbound, "internal": "101", **end})
        else:
            forms.append({"event": "NOTIFY_ANSWER", **common, "destination": "101", "internal": "101"})
            end = {"duration": "42", "disposition": "answered", "last_internal": "101", "status_code": "16"}
            forms.append({"event": "NOTIFY_END", **inbound, "internal": "101", "is_recorded": "0", **end})
        yield [post_request("/pbx/zadarma", form, {"Signature": zadarma.sign(SECRET, form)}) for form in forms]


STREAMS = {"mango": call_requests, "zadarma": zadarma_requests}


def saturation(port: int, args) -> Results:
    requests = STREAMS[args.vendor]("full")
    return asyncio.run(saturate(port, requests, concurrency=args.concurrency, seconds=args.seconds))


def flame_graph(pid: int, path: Path, seconds: float) -> subprocess.Popen:
    """py-spy sampling the server for ``seconds`` (root, or ptrace allowed), one flame per thread."""
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).parent / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--output",
        str(path),
        "--duration",
        str(int(seconds)),
    ]
    return subprocess.Popen([*command, "--threads", "--nonblocking", "--rate", "200"], stdout=subprocess.DEVNULL)


def paced_phase(port: int, args, phase: str, rate: float) -> Results:
    requests = STREAMS[args.vendor](phase)
    return asyncio.run(paced(port, requests, rate=rate, seconds=args.seconds, connections=args.concurrency))


def half_rate(port: int, args, rate: float) -> Results:
    return paced_phase(port, args, "half", rate / 2)


def drained(db_path: str) -> None:
    """Waits (at most a minute) until the server has processed every stored webhook."""
    with sqlite3.connect(db_path) as db:
        for _ in range(600):
            pending = db.execute(
                "SELECT count(*) FROM inbox_item WHERE handled_at IS NULL AND error IS NULL"
            ).fetchone()[0]
            if not pending:
                return
            time.sleep(0.1)


def sustained_rate(port: int, args, db_path: str, saturated: float) -> tuple[float, float, float] | None:
    """The first of ``SUSTAINED_SHARES`` of the saturated rate whose lag p99 is within ``SUSTAINED_LAG``:
    (events/s sent, lag p50, lag p99); None if none is."""
    for share in SUSTAINED_SHARES:
        before = last_stored(db_path)
        sent = paced_phase(port, args, f"sustained{share}", share * saturated)
        lag50, lag99, _ = lag_percentiles(db_path, before)  # (waits for the backlog)
        print(f"  at {share:.0%} of saturation, {sent.rate:.0f} events/s: lag p50 {lag50:.2f}, p99 {lag99:.2f} s")
        if lag99 <= SUSTAINED_LAG:
            return sent.rate, lag50, lag99
    return None


def last_stored(db_path: str) -> int:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT coalesce(max(id), 0) FROM inbox_item").fetchone()[0]


def lag_percentiles(db_path: str, since_id: int) -> tuple[float, float, int]:
    """Acknowledgement-to-processed lag of the rows stored after ``since_id``, from the server's own stamps."""
    drained(db_path)
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT (julianday(handled_at) - julianday(received_at)) * 86400 FROM inbox_item WHERE id > ? ORDER BY 1",
            (since_id,),
        ).fetchall()
    lags = [r[0] for r in rows if r[0] is not None]
    return lags[len(lags) // 2], lags[min(len(lags) - 1, int(0.99 * len(lags)))], len(lags)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--vendor", choices=sorted(STREAMS), default="mango", help="the webhook stream to play")
    parser.add_argument("--flame", type=Path, help="a directory for a flame graph of the saturated server")
    parser.add_argument("--processing", choices=("in_process", "separate"), default="in_process")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="callfunnel-bench-")
    db_path = os.path.join(workdir, "bench.db")
    env = {
        **os.environ,
        "CALLFUNNEL_DATABASE_URL": f"sqlite+aiosqlite:///{db_path}",
        "CALLFUNNEL_MANGO_API_KEY": KEY,
        "CALLFUNNEL_MANGO_API_SALT": SALT,
        "CALLFUNNEL_ZADARMA_SECRET": SECRET,
        "CALLFUNNEL_LOG_LEVEL": "WARNING",
        "CALLFUNNEL_PROCESSING": args.processing,
    }
    app_port, noop_port = free_port(), free_port()
    app, noop = start_server("app.main:app", app_port, env), start_server("bench.noop_app:app", noop_port, env)
    processes = [app, noop]
    if args.processing == "separate":
        processes.append(start_processor(env))
    try:
        floor_full = saturation(noop_port, args)
        floor_half = half_rate(noop_port, args, floor_full.rate)
        sampler = args.flame and flame_graph(app.pid, args.flame / f"{args.vendor}.svg", args.seconds)
        app_full = saturation(app_port, args)
        if sampler:
            sampler.wait(30)
        drained(db_path)  # each paced phase starts without the phase before's backlog
        sustained = sustained_rate(app_port, args, db_path, app_full.rate)
        before = last_stored(db_path)
        app_half = half_rate(app_port, args, app_full.rate)
        lag50, lag99, lag_rows = lag_percentiles(db_path, before)
        memory = rss_mib(app.pid)
        processor_memory = rss_mib(processes[2].pid) if args.processing == "separate" else None
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)

    ms = 1000
    processing = "processing in its own process" if args.processing == "separate" else "processing in process"
    print(
        f"callfunnel webhook intake, SQLite, one uvicorn worker, {processing}, {args.concurrency} connections, "
        f"{args.seconds:.0f} s phases"
    )
    print(f"{'':24}{'events/s (saturated)':>22}{'half rate: sent/s':>19}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, full, half in (
        ("no-op FastAPI (floor)", floor_full, floor_half),
        (f"callfunnel {args.vendor}", app_full, app_half),
    ):
        print(
            f"{name:24}{full.rate:>22.0f}{half.rate:>19.0f}{half.percentile(50) * ms:>9.2f}"
            f"{half.percentile(99) * ms:>9.2f}{full.errors + half.errors:>8}"
        )
        if half.rate < 0.95 * full.rate / 2:
            print(f"{'':24}(the load generator fell behind the half rate: its own queueing is in these latencies)")
    print(f"throughput vs floor: {app_full.rate / floor_full.rate:.0%}")
    if sustained is None:
        print(f"sustained: not even at {SUSTAINED_SHARES[-1]:.0%} of the saturated rate (processing lag p99 > 1 s)")
    else:
        print(
            f"sustained (processing lag p99 <= 1 s): {sustained[0]:.0f} events/s, "
            f"{sustained[0] / floor_full.rate:.1%} of the floor (lag p50 {sustained[1] * ms:.0f} ms, "
            f"p99 {sustained[2] * ms:.0f} ms)"
        )
    print(
        f"processing lag at half rate (ack -> call updated), {lag_rows} events: "
        f"p50 {lag50 * ms:.0f} ms, p99 {lag99 * ms:.0f} ms"
    )
    beside = f" (the processor: {processor_memory:.0f} MiB)" if processor_memory is not None else ""
    print(f"server memory after the run: {memory:.0f} MiB RSS{beside}")
    what = "webhook intake (SQLite, 1 worker" if args.vendor == "mango" else f"{args.vendor} stream (SQLite, 1 worker"
    what += ", processing separate)" if args.processing == "separate" else ")"
    record(what, "events/s saturated", "-", f"{app_full.rate:.0f}")
    record(what, "throughput vs no-op floor, same run", "-", f"{app_full.rate / floor_full.rate:.1%}")
    record(what, "p99 at half rate", "<= 1.3x no-op floor",
           f"{app_half.percentile(99) * ms:.1f} ms (floor {floor_half.percentile(99) * ms:.1f} ms)")  # fmt: skip
    record(what, "ack -> call updated p99 at half rate", "-", f"{lag99 * ms:.0f} ms")
    record(
        what,
        "sustained events/s (lag p99 <= 1 s) vs floor",
        "at >= 80 % of saturation",
        "-" if sustained is None else f"{sustained[0]:.0f} ({sustained[0] / floor_full.rate:.1%})",
    )


if __name__ == "__main__":
    main()
