"""Listening to recordings, callfunnel on loopback (SQLite, one process) and a generic PBX's file
host beside it (plain HTTP on loopback, ``--mib`` MiB WAV files):

1. time to first byte of an uncached recording (fetched whole from the PBX first) and of a cached
   one (the first 64 KB by Range through a ticket), p50/p99 over ``--requests``;
2. the server's memory while ``--players`` players stream whole recordings at once, each reading
   slowly (64 KB every 10 ms), against the same server idle: it streams from disk, never buffers
   a file.

Usage: python bench/recordings.py [--mib 8] [--requests 200] [--players 20]
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from app.auth.models import Role  # noqa: E402
from bench.results import record  # noqa: E402
from bench.routing import percentile  # noqa: E402
from bench.server import rss_mib  # noqa: E402
from tests.live_server import Server  # noqa: E402
from tests.support.floor import CLIENT, LINE, Floor  # noqa: E402
from tests.support.recording_api import file_host  # noqa: E402


def wav_of(mib: int) -> bytes:
    """A WAV header and ``mib`` MiB of 8 kHz 8-bit samples (the content does not matter)."""
    data = bytes(range(256)) * (mib * 4096)
    header = b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
    header += (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + (8000).to_bytes(4, "little")
    header += (8000).to_bytes(4, "little") + (1).to_bytes(2, "little") + (8).to_bytes(2, "little")
    return header + b"data" + len(data).to_bytes(4, "little") + data


async def recorded_calls(floor: Floor, host: str, count: int) -> list[int]:
    for n in range(count):
        call = f"bench-rec-{n}"
        await floor.pbx("incoming", call, **{"from": CLIENT, "to": LINE})
        await floor.pbx("ended", call, reason="completed")
        await floor.pbx("recording", call, recording=f"{host}/call-{n}.wav")
    for _ in range(300):
        calls = (await floor.api("GET", "/api/calls", params={"limit": 500}))["items"]
        ids = [c["id"] for c in calls if c["external_id"].startswith("bench-rec-") and c["recording_id"]]
        if len(ids) == count:
            return ids
        await asyncio.sleep(0.1)
    raise SystemExit("the recordings never arrived")


async def first_byte(client: httpx.AsyncClient, url: str, headers: dict | None = None) -> float:
    started = time.perf_counter()
    async with client.stream("GET", url, headers=headers) as response:
        assert response.status_code in (200, 206), response.status_code
        async for _ in response.aiter_raw(1):
            break
    return (time.perf_counter() - started) * 1000


async def slow_player(client: httpx.AsyncClient, url: str) -> int:
    received = 0
    async with client.stream("GET", url) as response:
        async for chunk in response.aiter_raw(64 * 1024):
            received += len(chunk)
            await asyncio.sleep(0.01)
    return received


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--players", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = Path(folder) / "files"
        files.mkdir()
        audio = wav_of(args.mib)
        for n in range(args.players):
            (files / f"call-{n}.wav").write_bytes(audio)
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        server = Server(
            url,
            Path(folder) / "server.log",
            generic_recording_hosts='["127.0.0.1"]',
            recording_cache_dir=f"{folder}/cache",
        )
        await server.start()
        floor = Floor(server.url, url)
        try:
            with file_host(files) as host:
                boss = await floor.person("boss", Role.admin)
                calls = await recorded_calls(floor, host, args.players)
                async with httpx.AsyncClient(base_url=server.url, timeout=60, headers=boss["headers"]) as client:
                    uncached = [await first_byte(client, f"/api/calls/{call}/recording") for call in calls[:5]]
                    record(
                        "recordings",
                        f"time to first byte, uncached ({args.mib} MiB from the PBX)",
                        "—",
                        f"p50 {percentile(uncached, 50):.0f} ms",
                    )
                    tickets = [
                        (await client.post(f"/api/calls/{call}/recording-ticket")).json()["url"] for call in calls
                    ]
                    cached = [
                        await first_byte(client, tickets[n % len(tickets)], {"Range": "bytes=0-65535"})
                        for n in range(args.requests)
                    ]
                    record(
                        "recordings",
                        "time to first byte, cached (Range, ticket)",
                        "<= 50 ms",
                        f"p50 {percentile(cached, 50):.1f} ms, p99 {percentile(cached, 99):.1f} ms",
                    )
                    for call in calls:  # every file in the cache before the streams
                        await client.get(f"/api/calls/{call}/recording", headers={"Range": "bytes=0-0"})
                    idle = rss_mib(server.process.pid)
                    peak = idle
                    streams = asyncio.gather(*(slow_player(client, url) for url in tickets))
                    while not streams.done():
                        peak = max(peak, rss_mib(server.process.pid))
                        await asyncio.sleep(0.05)
                    assert all(size == len(audio) for size in await streams)
                    record(
                        "recordings",
                        f"server memory, {args.players} players streaming {args.mib} MiB each",
                        "<= 50 MB above idle",
                        f"+{peak - idle:.1f} MiB (idle {idle:.0f} MiB)",
                    )
        finally:
            await floor.close()
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
