"""A live callfunnel on a loopback port (uvicorn in the test's event loop) and websocket clients on it."""

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from app.main import create_app
from app.settings import Settings
from bench.server import free_port
from tests.support.app import Callfunnel

_ids = itertools.count(1)


@dataclass
class Live:
    cf: Callfunnel
    ws_base: str

    async def panel(self, headers: dict) -> "Client":
        return await Client.open(f"{self.ws_base}/ws/operator?token={_token(headers)}")

    async def feed(self, headers: dict, since: int | None = None) -> "Client":
        query = f"?token={_token(headers)}" + (f"&since={since}" if since is not None else "")
        return await Client.open(f"{self.ws_base}/ws/supervisor{query}")


@contextlib.asynccontextmanager
async def serving(settings: Settings, *, pbx_transport=None) -> AsyncIterator[Live]:
    """The app under uvicorn on 127.0.0.1; REST goes through the ASGI transport of the same app."""
    app = create_app(settings, pbx_transport=pbx_transport)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(30):
        while not server.started:
            await asyncio.sleep(0.02)
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://callfunnel.test") as client:
            yield Live(Callfunnel(app, client), f"ws://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await task


class Client:
    """A websocket client that keeps every frame it receives, in order."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.received: list[dict] = []
        self._read = 0

    @classmethod
    async def open(cls, url: str) -> "Client":
        return cls(await connect(url, open_timeout=10))

    async def next(self, type_: str | None = None, timeout: float = 5.0) -> dict:
        """The next frame not read yet (of ``type_``, skipping others)."""
        async with asyncio.timeout(timeout):
            while True:
                while self._read < len(self.received):
                    frame = self.received[self._read]
                    self._read += 1
                    if type_ is None or frame["type"] == type_:
                        return frame
                self.received.append(json.loads(await self.connection.recv()))

    async def request(self, type_: str, timeout: float = 5.0, **fields) -> dict:
        """Sends a client frame and returns the ``ack`` or ``error`` that answers it."""
        frame_id = f"c{next(_ids)}"
        await self.connection.send(json.dumps({"type": type_, "v": 1, "id": frame_id, **fields}))
        return await self.answer_to(frame_id, timeout)

    async def answer_to(self, frame_id: str, timeout: float = 5.0) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                for index, frame in enumerate(self.received):
                    if frame.get("id") == frame_id and frame["type"] in ("ack", "error", "pong"):
                        del self.received[index]  # answered: ``next`` will not return it again
                        self._read -= index < self._read
                        return frame
                self.received.append(json.loads(await self.connection.recv()))

    async def quiet(self, seconds: float = 0.3) -> list[dict]:
        """Whatever arrives within ``seconds`` (to show that something did not)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while True:
                    self.received.append(json.loads(await self.connection.recv()))
        new = self.received[self._read :]
        self._read = len(self.received)
        return new

    async def close(self) -> None:
        await self.connection.close()

    def drop(self) -> None:
        """The network goes: the TCP connection is cut without a closing handshake."""
        self.connection.transport.abort()


def _token(headers: dict) -> str:
    return headers["Authorization"].removeprefix("Bearer ")
