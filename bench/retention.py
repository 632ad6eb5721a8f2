"""What a day of calls leaves in the database, and what retention keeps of it.

Plays ``--calls`` realistic MANGO calls (two in three answered after one operator missed, one in
three missed; 9-11 webhooks each) into a live callfunnel on a fresh SQLite file, waits until every
webhook is processed, and reads each table's bytes (``dbstat``, indexes included).  From the bytes
per call it projects 5,000 calls a day: after a month, and after a year with the retention
defaults (webhooks 90 days, live-client events 7) against keeping everything.  These calls take no
queue, so offers and PBX commands (30 days) are not in the figures.

Usage: python bench/retention.py [--calls 2000] [--concurrency 16]
"""

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from results import record  # noqa: E402
from server import free_port, start_server  # noqa: E402

from telephony.mango import webhooks as mango  # noqa: E402
from telephony.mango.script import InboundCall  # noqa: E402

KEY, SALT = "bench-key", "bench-salt"
PER_DAY = 5000
KEPT_DAYS = {"inbox_item": 90, "realtime_event": 7}  # the retention defaults; the rest is kept


async def play(port: int, calls: int, concurrency: int) -> None:
    start = int(time.time()) - 3600
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:

        async def one(n: int) -> None:
            call = InboundCall(f"r-{n}", f"7900{n:07d}", start + n)
            script = (
                call.missed(rung=("101", "102")) if n % 3 == 2 else call.answered(missed_by=("101",), extension="102")
            )
            async with gate:
                for path, payload in script:
                    form = mango.signed_form(KEY, SALT, payload)
                    response = await http.post(f"/pbx/mango/{path}", data=form)
                    response.raise_for_status()

        await asyncio.gather(*(one(n) for n in range(calls)))


def bytes_per_table(path: str) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        while db.execute("SELECT count(*) FROM inbox_item WHERE handled_at IS NULL AND error IS NULL").fetchone()[0]:
            time.sleep(0.2)
        rows = db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        owner = dict(db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"))
    sizes: dict[str, int] = {}
    for name, size in rows:
        table = owner.get(name, name)
        sizes[table] = sizes.get(table, 0) + size
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/retention.db"
        env = os.environ | {
            "CALLFUNNEL_DATABASE_URL": f"sqlite+aiosqlite:///{path}",
            "CALLFUNNEL_MANGO_API_KEY": KEY,
            "CALLFUNNEL_MANGO_API_SALT": SALT,
            "CALLFUNNEL_ADMIN_PASSWORD_FILE": "",
            "CALLFUNNEL_LOG_LEVEL": "WARNING",
            "CALLFUNNEL_RECONCILE_CHECK_SECONDS": "86400",  # no PBX history to read here
        }
        port = free_port()
        server = start_server("app.main:app", port, env)
        try:
            empty = bytes_per_table(path)
            asyncio.run(play(port, args.calls, args.concurrency))
            full = bytes_per_table(path)
        finally:
            server.terminate()
            server.wait()
    per_call = {table: (full[table] - empty.get(table, 0)) / args.calls for table in full}
    day = {table: size * PER_DAY for table, size in per_call.items()}

    def after(days: int, retention: bool) -> float:
        kept = (lambda t: min(days, KEPT_DAYS.get(t, days))) if retention else (lambda t: days)
        return sum(size * kept(table) for table, size in day.items()) / 2**30

    biggest = ", ".join(f"{t} {s / 2**20:.0f} MB" for t, s in sorted(day.items(), key=lambda i: -i[1])[:4])
    record("retention", f"a day of {PER_DAY} calls", "-", f"{sum(day.values()) / 2**20:.0f} MB ({biggest})")
    record(
        "retention",
        "after a month: with / without retention",
        "-",
        f"{after(30, True):.2f} / {after(30, False):.2f} GB",
    )
    record(
        "retention",
        "after a year: with / without retention",
        "-",
        f"{after(365, True):.1f} / {after(365, False):.1f} GB",
    )


if __name__ == "__main__":
    main()
