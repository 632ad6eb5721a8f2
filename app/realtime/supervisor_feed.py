"""``/ws/supervisor?since=<seq>``: the live missed-call feed, callback changes, the agent board, queue figures.

Without ``since`` (or with one older than the events kept) the client first gets a ``snapshot``;
with ``since`` it gets every supervisor event after that ``seq`` and then the live ones, so a
supervisor whose connection dropped misses nothing.  Events come in ``seq`` order, each once.
"""

from fastapi import APIRouter, WebSocket

from app.auth.models import Role
from app.database import utcnow
from app.events.models import SUPERVISORS
from app.realtime import cards
from app.realtime.bus import EventBus, Subscriber
from app.realtime.sockets import Socket, authenticate, on_the_bus, serve
from schemas.realtime import VERSION, SupervisorClientFrame

router = APIRouter()


@router.websocket("/ws/supervisor")
async def supervisor_feed(websocket: WebSocket) -> None:
    app = websocket.app
    db, settings, bus = app.state.db, app.state.settings, app.state.event_bus
    credentials = await authenticate(websocket, db, (Role.supervisor, Role.admin))
    if credentials is None:
        return
    socket = Socket(websocket, settings)
    since = _since(websocket.query_params.get("since"))
    subscriber = Subscriber(limit=settings.ws_send_queue_frames)
    async with on_the_bus(bus, subscriber, socket, credentials):
        sent = await _catch_up(socket, bus, since, reset=since is not None)
        await serve(socket, subscriber, SupervisorClientFrame, _nothing_to_do, after=sent)


async def _catch_up(socket: Socket, bus: EventBus, since: int | None, *, reset: bool) -> int:
    """Replays the events after ``since`` when they are all still kept, else sends a snapshot;
    returns the last ``seq`` the client now has."""
    newest = await bus.newest_seq()
    oldest = await bus.oldest_seq()
    kept_from = oldest if oldest is not None else newest + 1
    if since is not None and kept_from - 1 <= since <= newest:
        sent = since
        while events := await bus.read_after(sent, audience=SUPERVISORS):
            for event in events:
                await socket.send(event.text)
                sent = event.seq
        return max(sent, newest)
    snapshot = await bus.db.read(lambda s: cards.supervisor_snapshot(session=s, now=utcnow()))
    await socket.send({"type": "snapshot", "v": VERSION, "seq": newest, "reset": reset, **snapshot})
    return newest


def _since(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        return -1  # unreadable: treated as unknown, so the client starts over from a snapshot


async def _nothing_to_do(frame) -> None:
    return None
