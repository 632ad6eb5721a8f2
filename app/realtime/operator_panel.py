"""``/ws/operator?since=<seq>``: the operator's softphone panel.

On connect a ``snapshot`` (or, with ``since``, the operator's events after it: a panel that
reconnects misses nothing, as on the supervisor feed); then the operator's own events (``offer`` with the caller's card,
``offer_revoked``, ``call_update``, ``state``).  The panel's ``accept``/``reject``/``set_state``
go through the same services as REST, so a ring-all call accepted at once over a socket and
over REST still has exactly one winner.
"""

import asyncio
import json
import logging
import uuid
from functools import partial

from fastapi import APIRouter, WebSocket

from app.auth.models import Role, User
from app.database import utcnow
from app.dispatch import availability
from app.dispatch import offers as dispatch_offers
from app.events.models import OPERATOR
from app.flows import disposition as dispositions
from app.operators.models import OperatorState
from app.realtime import cards, presence
from app.realtime.bus import Event, Subscriber
from app.realtime.sockets import Socket, authenticate, catch_up, on_the_bus, serve, since_of
from schemas.realtime import OperatorClientFrame

log = logging.getLogger(__name__)

router = APIRouter()


@router.websocket("/ws/operator")
async def operator_panel(websocket: WebSocket) -> None:
    app = websocket.app
    db, settings, bus = app.state.db, app.state.settings, app.state.event_bus
    credentials = await authenticate(websocket, db, (Role.operator,))
    if credentials is None:
        return
    user = credentials.user
    socket = Socket(websocket, settings)
    subscriber = Subscriber(operator_id=user.id, limit=settings.ws_send_queue_frames)
    panel_id = str(uuid.uuid4())
    since = since_of(websocket.query_params.get("since"))
    enrich = _card_adder(db)

    async def snapshot() -> dict:
        return await db.read(lambda s: cards.operator_snapshot(session=s, operator_id=user.id, now=utcnow()))

    async with on_the_bus(bus, subscriber, socket, credentials):
        try:
            await db.run(
                lambda s: presence.panel_opened(
                    session=s, panel_id=panel_id, operator_id=user.id, process_id=app.state.process_id, now=utcnow()
                )
            )
            sent = await catch_up(
                socket, bus, since, audience=OPERATOR, operator_id=user.id, snapshot=snapshot, enrich=enrich
            )
            await serve(
                socket,
                subscriber,
                OperatorClientFrame,
                lambda frame: _handle(db, user, frame),
                after=sent,
                enrich=enrich,
            )
        finally:
            # A panel dropped by a restart is detached, not closed: the operator keeps a ringing
            # offer while it reconnects to the next process within the grace period.
            if socket.server_restarting:
                leave = partial(presence.panel_detached, panel_id=panel_id)
            else:
                leave = partial(presence.panel_closed, panel_id=panel_id, operator_id=user.id, now=utcnow())
            await asyncio.shield(db.run(lambda s: leave(session=s)))


def _card_adder(db):
    async def enrich(event: Event) -> str:
        if event.type != "offer":
            return event.text
        offer_id, call_id = event.payload["offer_id"], event.payload["call_id"]
        extra = await db.read(
            lambda s: cards.offer_frame_fields(session=s, offer_id=offer_id, call_id=call_id, now=utcnow())
        )
        return json.dumps({**event.frame(), **extra}, separators=(",", ":"))

    return enrich


async def _handle(db, user: User, frame) -> dict | None:
    # The clock is read inside each unit of work: on SQLite it may wait for the writer, and an offer
    # made then must not carry an earlier moment than the ones written before it.
    match frame.type:
        case "set_state":
            state = OperatorState(frame.state)
            await db.run(lambda s: availability.change_state(session=s, operator_id=user.id, state=state, now=utcnow()))
            return {"state": frame.state}
        case "accept":
            offer = await db.run(
                lambda s: dispatch_offers.accept(session=s, offer_id=frame.offer_id, user=user, now=utcnow())
            )
            return {"offer_id": offer.id, "call_id": offer.call_id, "status": offer.status}
        case "reject":
            offer = await db.run(
                lambda s: dispatch_offers.reject(session=s, offer_id=frame.offer_id, user=user, now=utcnow())
            )
            return {"offer_id": offer.id, "status": offer.status}
        case "wrap_up_done":
            await db.run(lambda s: availability.finish_wrap_up(session=s, operator_id=user.id, now=utcnow()))
            return {"state": OperatorState.available.value}
        case "disposition":
            fields = frame.model_dump(exclude={"type", "v", "id", "call_id"})
            disposition = await db.run(
                lambda s: dispositions.record(session=s, call_id=frame.call_id, actor=user, now=utcnow(), **fields)
            )
            return {"disposition_id": disposition.id}
    raise AssertionError(f"unhandled frame {frame.type}")
