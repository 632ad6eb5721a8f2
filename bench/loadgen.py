"""A small HTTP/1.1 keep-alive load generator for loopback benchmarks (cheaper per request than an HTTP
library, so the server, not the client, is what saturates on a two-core machine)."""

import asyncio
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode


async def loop_lag(lags: list[float], every: float = 0.05) -> None:
    """How late the load generator's own event loop wakes (it measures the PBX's waits, so its lag is in them)."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(every)
        lags.append(time.perf_counter() - asked - every)


def post_request(path: str, form: dict[str, str], headers: dict[str, str] | None = None) -> bytes:
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    return request_bytes(path, urlencode(form).encode(), form_type | (headers or {}))


def request_bytes(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Content-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    started: float = 0.0
    finished: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / (self.finished - self.started)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


@dataclass(slots=True)
class Reply:
    """An answer, as much of it as a sender reads (the part of ``httpx.Response`` the simulator uses)."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self):
        return json.loads(self.content)


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> "Connection":
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, request: bytes) -> int:
        return (await self.exchange(request)).status_code

    async def exchange(self, request: bytes) -> "Reply":
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            elif line.lower().startswith(b"transfer-encoding:"):  # (unread, it would garble the next answer)
                raise ValueError(f"a response this client cannot read: {line.decode()}")
        return Reply(status, await self.reader.readexactly(length))

    def close(self) -> None:
        self.writer.close()


class Connections:
    """Keep-alive connections to one loopback server, opened as senders need them (a PBX opens a
    connection per webhook it has in flight): for a simulator that reads the answers, at a fraction
    of an HTTP library's CPU a request.  httpx spent a core on the flood's 1,000 webhooks a second,
    and its own queueing was timed as the server's wait."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._idle: list[Connection] = []
        self._all: list[Connection] = []

    async def post(self, path: str, *, content: bytes, headers: dict[str, str]) -> Reply:
        connection = self._idle.pop() if self._idle else await self._open()
        reply = await connection.exchange(request_bytes(path, content, headers))
        self._idle.append(connection)
        return reply

    async def _open(self) -> Connection:
        connection = await Connection.open(self._port)
        self._all.append(connection)
        return connection

    async def __aenter__(self) -> "Connections":
        return self

    async def __aexit__(self, *_) -> None:
        for connection in self._all:
            connection.close()


async def saturate(port: int, calls, *, concurrency: int, seconds: float) -> Results:
    """Closed loop: each connection plays whole calls back to back until time is up."""
    iterator = iter(calls)

    async def play(connection: Connection, results: Results) -> None:
        while time.perf_counter() < results.started + seconds:
            for request in next(iterator):
                sent = time.perf_counter()
                _record(results, since=sent, status=await connection.send(request))

    return await _on_connections(port, concurrency, play)


async def paced(port: int, calls, *, rate: float, seconds: float, connections: int) -> Results:
    """Open loop at a fixed request rate; latency counts from the scheduled send time, so a slow
    server cannot hide its queueing (no coordinated omission)."""
    queue: asyncio.Queue = asyncio.Queue()
    for slot in enumerate(_interleave(calls, parallel=connections * 2, limit=int(rate * seconds))):
        queue.put_nowait(slot)

    async def play(connection: Connection, results: Results) -> None:
        while not queue.empty():
            i, request = queue.get_nowait()
            due = results.started + i / rate
            if (delay := due - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            _record(results, since=due, status=await connection.send(request))

    return await _on_connections(port, connections, play)


async def _on_connections(port: int, count: int, play) -> Results:
    """Opens the connections, then starts the clock, runs ``play`` on each, and closes them."""
    connections = [await Connection.open(port) for _ in range(count)]
    results = Results(started=time.perf_counter())
    try:
        await asyncio.gather(*(play(connection, results) for connection in connections))
    finally:
        for connection in connections:
            connection.close()
    results.finished = time.perf_counter()
    return results


def _record(results: Results, *, since: float, status: int) -> None:
    results.latencies.append(time.perf_counter() - since)
    results.errors += status != 200


def _interleave(calls, *, parallel: int, limit: int) -> list[bytes]:
    """Events of ``parallel`` calls at a time, each call's own events in order (as a PBX sends them)."""
    out: list[bytes] = []
    active = [list(next(calls)) for _ in range(parallel)]
    while len(out) < limit:
        for i, call in enumerate(active):
            if not call:
                active[i] = call = list(next(calls))
            out.append(call.pop(0))
            if len(out) == limit:
                break
    return out
