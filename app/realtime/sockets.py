"""What the two websockets share: the credentials check, framed JSON both ways, limits, and the event pump.

A socket opens with ``?ticket=`` (from ``POST /api/ws-ticket``; browsers), ``?token=`` or a bearer
header.  Close codes: 4401 missing or bad credentials, or the token it was opened with revoked or
reissued (in any process, within the bus's poll); 4403 wrong role; 4008 the client fell behind
(resume with ``since``).  A bad client frame never closes the socket and never changes anything: it is
answered with an ``error`` frame.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import TypeAdapter, ValidationError
from starlette.websockets import WebSocketState

from app import instruments
from app.auth import service as auth_service
from app.auth import tickets
from app.auth.models import Role, User
from app.database import Database, utcnow
from app.errors import AppError
from app.realtime.bus import Event, EventBus, Subscriber
from app.settings import Settings
from schemas.json_text import UnreadableJson, loads
from schemas.realtime import VERSION

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BEHIND = 4008
CLOSE_SERVICE_RESTART = 1012  # uvicorn closes every socket with it when the server stops

_ERROR_CODES = {400: "invalid", 403: "forbidden", 404: "not_found", 409: "conflict"}


class FrameError(Exception):
    def __init__(self, code: str, reason: str, frame_id: str | None = None) -> None:
        super().__init__(reason)
        self.code, self.reason, self.frame_id = code, reason, frame_id


@dataclass(frozen=True)
class Credentials:
    user: User
    token_digest: str  # the token the socket stands on: its revocation closes the socket


async def authenticate(websocket: WebSocket, db: Database, roles: tuple[Role, ...]) -> Credentials | None:
    """Accepts the socket and checks its credentials; closes it when refused."""
    await websocket.accept()
    credentials = await _credentials(websocket, db)
    if credentials is None:
        await websocket.close(CLOSE_UNAUTHORIZED, "missing or invalid ticket or token")
        return None
    if credentials.user.role not in roles:
        await websocket.close(CLOSE_FORBIDDEN, f"this needs the role {' or '.join(roles)}")
        return None
    return credentials


async def _credentials(websocket: WebSocket, db: Database) -> Credentials | None:
    ticket = websocket.query_params.get("ticket")
    if ticket:
        redeemed = await db.run(lambda session: tickets.redeem(session=session, ticket=ticket, now=utcnow()))
        return Credentials(*redeemed) if redeemed is not None else None
    token = websocket.query_params.get("token")
    header = websocket.headers.get("authorization", "")
    if not token and header.lower().startswith("bearer "):
        token = header[7:].strip()
    if not token:
        return None
    user = await db.read(lambda session: auth_service.authenticate(session=session, token=token, now=utcnow()))
    return Credentials(user, auth_service.token_digest(token)) if user is not None else None


class Socket:
    """One accepted websocket: sends are serialized; received frames are size- and rate-limited."""

    def __init__(self, websocket: WebSocket, settings: Settings) -> None:
        self.websocket = websocket
        self.lock = asyncio.Lock()  # one frame at a time on the wire
        self._max_bytes = settings.ws_max_frame_bytes
        self._rate = settings.ws_messages_per_second
        self._burst = float(settings.ws_message_burst)
        self._tokens = self._burst
        self._refilled = time.monotonic()
        self.close_code: int | None = None  # how the connection ended, once it has

    @property
    def server_restarting(self) -> bool:
        """The connection ended because this server process is stopping (not the client leaving)."""
        return self.close_code == CLOSE_SERVICE_RESTART

    async def send(self, frame: dict | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame, separators=(",", ":"), default=str)
        async with self.lock:
            await self.websocket.send_text(text)

    async def reply(self, kind: str, frame_id: str | None, **fields) -> None:
        await self.send({"type": kind, "v": VERSION, "seq": None, "id": frame_id, **fields})

    async def receive(self, frames: TypeAdapter):
        """The next valid client frame; FrameError for a bad one (the socket stays open)."""
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            self.close_code = message.get("code", 1000)
            raise WebSocketDisconnect(self.close_code)
        text = message.get("text")
        if text is None:
            text = (message.get("bytes") or b"").decode("utf-8", "replace")
        if len(text.encode()) > self._max_bytes:
            raise FrameError("too_large", f"frames are limited to {self._max_bytes} bytes")
        if not self._take_token():
            raise FrameError("rate_limited", f"more than {self._rate:g} frames per second; slow down")
        try:
            raw = loads(text)
        except UnreadableJson as exc:
            raise FrameError("invalid_frame", str(exc)) from None
        frame_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        if not isinstance(raw, dict) or "type" not in raw:
            raise FrameError("invalid_frame", 'a frame is a JSON object with a "type"', frame_id)
        try:
            return frames.validate_python(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "frame"
            code = "unknown_type" if first["type"] == "union_tag_invalid" else "invalid_frame"
            raise FrameError(code, f"{where}: {first['msg']}", frame_id) from None

    def _take_token(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._refilled) * self._rate)
        self._refilled = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


async def _answer_frames(
    socket: Socket, frames: TypeAdapter, handle: Callable[[object], Awaitable[dict | None]]
) -> None:
    """Answers every client frame with ``ack`` (or ``pong``) or ``error`` until the client leaves."""
    while True:
        try:
            frame = await socket.receive(frames)
        except FrameError as exc:
            await socket.reply("error", exc.frame_id, code=exc.code, reason=exc.reason)
            continue
        if frame.type == "ping":
            await socket.reply("pong", frame.id)
            continue
        try:
            result = await handle(frame)
        except AppError as exc:
            code = _ERROR_CODES.get(exc.status_code, "invalid")
            await socket.reply("error", frame.id, code=code, reason=exc.detail)
        else:
            await socket.reply("ack", frame.id, result=result)


@contextlib.asynccontextmanager
async def on_the_bus(
    bus: EventBus, subscriber: Subscriber, socket: "Socket", credentials: Credentials
) -> AsyncIterator[None]:
    """The subscriber's events are queued from here on (subscribe before reading a snapshot or a
    replay, so nothing committed meanwhile is missed), and the socket closes with 4401 when its
    token is revoked; a client leaving ends it quietly."""

    def revoked() -> None:
        _closing.add(asyncio.create_task(_close(socket, CLOSE_UNAUTHORIZED, "credentials revoked")))

    bus.subscribe(subscriber)
    unwatch = bus.watch_token(credentials.token_digest, revoked)
    if not await _still_current(bus.db, credentials):  # revoked between the check and the watch
        revoked()
    kind = "supervisor" if subscriber.operator_id is None else "operator"
    try:
        with instruments.socket_open(kind):
            yield
    except WebSocketDisconnect:
        pass
    finally:
        unwatch()
        bus.unsubscribe(subscriber)


async def _still_current(db: Database, credentials: Credentials) -> bool:
    holder = await db.read(
        lambda session: auth_service.holder(session=session, digest=credentials.token_digest, now=utcnow())
    )
    return holder is not None and holder.id == credentials.user.id


async def serve(
    socket: Socket,
    subscriber: Subscriber,
    frames: TypeAdapter,
    handle: Callable[[object], Awaitable[dict | None]],
    *,
    after: int = 0,
    enrich: Callable[[Event], Awaitable[str]] | None = None,
) -> None:
    """Sends the subscriber's events and answers the client's frames until the client leaves."""
    forwarding = asyncio.create_task(_forward_events(socket, subscriber, after=after, enrich=enrich))
    try:
        await _answer_frames(socket, frames, handle)
    finally:
        forwarding.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await forwarding


async def _forward_events(
    socket: Socket,
    subscriber: Subscriber,
    *,
    after: int = 0,
    enrich: Callable[[Event], Awaitable[str]] | None = None,
) -> None:
    """Sends the subscriber's events in order (those after ``after``: a replay may have sent the
    first ones already); a client that falls behind is disconnected."""
    subscriber.on_behind = lambda: _closing.add(asyncio.create_task(_disconnect_behind(socket, subscriber)))
    while True:
        event = await subscriber.queue.get()
        if event.seq <= after:
            continue
        await socket.send(await enrich(event) if enrich is not None else event.text)


_closing: set[asyncio.Task] = set()  # (a task must be referenced until it is done)


async def _disconnect_behind(socket: Socket, subscriber: Subscriber) -> None:
    log.warning("a live client fell %s frames behind: disconnected", subscriber.limit)
    await _close(socket, CLOSE_BEHIND, "fell behind; reconnect with since")


async def _close(socket: Socket, code: int, reason: str) -> None:
    try:
        if socket.websocket.client_state == WebSocketState.CONNECTED:
            async with socket.lock:
                await socket.websocket.close(code, reason)
    except Exception:  # (the client went away meanwhile)
        log.debug("closing a socket with %s failed", code, exc_info=True)
    finally:
        _closing.discard(asyncio.current_task())


async def catch_up(
    socket: Socket,
    bus: EventBus,
    since: int | None,
    *,
    audience: str,
    snapshot: Callable[[], Awaitable[dict]],
    operator_id: int | None = None,
    enrich: Callable[[Event], Awaitable[str]] | None = None,
) -> int:
    """Replays the client's events after ``since`` when they are all still kept, else sends a
    ``snapshot`` (``reset``: the ``since`` asked for could not be honoured); returns the last
    ``seq`` the client now has, so live events are sent from there on, each once."""
    newest = await bus.newest_seq()
    oldest = await bus.oldest_seq()
    kept_from = oldest if oldest is not None else newest + 1
    if since is not None and kept_from - 1 <= since <= newest:
        sent = since
        while events := await bus.read_after(sent, audience=audience, operator_id=operator_id):
            for event in events:
                await socket.send(await enrich(event) if enrich is not None else event.text)
                sent = event.seq
        return max(sent, newest)
    frame = await snapshot()
    await socket.send({"type": "snapshot", "v": VERSION, "seq": newest, "reset": since is not None, **frame})
    return newest


def since_of(value: str | None) -> int | None:
    """A client's ``?since=``: None without one; an unreadable one counts as unknown (-1): a snapshot."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        return -1
