"""`callfunnel serve` stops within SHUTDOWN_SECONDS of a SIGTERM even with a panel open, and the
panel is told the server is restarting (1012), so it reconnects to the next process; its sockets
are not compressed."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.auth.models import Role
from tests.live_server import ROOT, free_port, user_token
from tests.support.app import GENERIC_SECRET


async def test_a_stop_is_bounded_and_open_panels_are_told_to_reconnect(database_url, tmp_path):
    token = await user_token(database_url, Role.operator, extension="101")
    port = free_port()
    env = os.environ | {
        "CALLFUNNEL_DATABASE_URL": database_url,
        "CALLFUNNEL_GENERIC_SECRET": GENERIC_SECRET,
        "CALLFUNNEL_ADMIN_PASSWORD_FILE": "",
        "CALLFUNNEL_SHUTDOWN_SECONDS": "2",
    }
    command = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)]
    with (tmp_path / "serve.log").open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http, asyncio.timeout(60):
            while True:
                try:
                    if (await http.get("/health/live")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        async with connect(f"ws://127.0.0.1:{port}/ws/operator?token={token}") as panel:
            await panel.recv()  # the snapshot: the panel is open
            # The client offered permessage-deflate; declined (a zlib context per socket: 74 KB an
            # idle panel with it, 41 KB without).
            assert "Sec-WebSocket-Extensions" not in panel.response.headers
            process.send_signal(signal.SIGTERM)
            began = time.monotonic()
            try:
                async with asyncio.timeout(15):
                    while True:
                        await panel.recv()
            except ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 1012  # "service restart"
        await asyncio.to_thread(process.wait, 15)
        assert time.monotonic() - began < 2 + 5  # the bound, and the lifespan's own shutdown
        log = (tmp_path / "serve.log").read_text()
        assert "Application shutdown complete" in log, log[-2000:]  # the lifespan's own shutdown ran
        assert process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it is done
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
