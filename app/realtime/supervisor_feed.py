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
from app.realtime.bus import Subscriber
from app.realtime.sockets import Socket, authenticate, catch_up, on_the_bus, serve, since_of
from schemas.realtime import SupervisorClientFrame

router = APIRouter()


@router.websocket("/ws/supervisor")
async def supervisor_feed(websocket: WebSocket) -> None:
    app = websocket.app
    db, settings, bus = app.state.db, app.state.settings, app.state.event_bus
    credentials = await authenticate(websocket, db, (Role.supervisor, Role.admin))
    if credentials is None:
        return
    socket = Socket(websocket, settings)
    since = since_of(websocket.query_params.get("since"))
    subscriber = Subscriber(limit=settings.ws_send_queue_frames)

    async def snapshot() -> dict:
        return await db.read(lambda s: cards.supervisor_snapshot(session=s, now=utcnow()))

    async with on_the_bus(bus, subscriber, socket, credentials):
        sent = await catch_up(socket, bus, since, audience=SUPERVISORS, snapshot=snapshot)
        await serve(socket, subscriber, SupervisorClientFrame, _nothing_to_do, after=sent)


async def _nothing_to_do(frame) -> None:
    return None
