"""Webhooks a PBX waits on for a routing decision: stored, applied and answered in one transaction.

The inbox row, the call's new state, the operators' claims and the reply text commit together,
so a redelivered webhook finds the reply already given and gets it again, never a second
decision.  If deciding fails, the raw request is still stored for the inbox processor, and the
PBX is told to go on with its own plan: the call is recorded either way.
"""

import logging
from collections.abc import Callable, Sequence

from fastapi import Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.calls import service as calls_service
from app.database import insert_ignoring_duplicates, utcnow
from app.dispatch.decision import decide_for_pbx
from app.inbox.models import InboxItem, body_columns
from app.inbox.writer import Stored
from app.pbx.intake import kept_headers, remote_addr
from schemas.pbx_events import CallEvent
from schemas.routing import RouteAction, RouteDecision

log = logging.getLogger(__name__)

Render = Callable[[RouteDecision], str]


async def store_and_route(
    request: Request,
    *,
    vendor: str,
    path: str,
    key: str,
    body: str,
    events: Sequence[CallEvent],
    render: Render,
    max_targets: int | None = None,
    asks_again: bool = False,
) -> tuple[Stored, str]:
    """Returns the stored row and the reply body for the PBX."""
    state = request.app.state
    row = {
        "vendor": vendor,
        "path": path,
        "dedup_key": key,
        **body_columns(body),
        "headers": kept_headers(request),
        "remote_addr": remote_addr(request),
        "received_at": utcnow(),
        "attempts": 0,
    }

    def work(session: Session) -> tuple[Stored, str]:
        insert = insert_ignoring_duplicates(session, InboxItem.__table__, index_elements=["vendor", "dedup_key"])
        row_id = session.execute(insert.returning(InboxItem.id), [row]).scalar()
        if row_id is None:
            earlier_id, reply = session.execute(
                select(InboxItem.id, InboxItem.reply).where(InboxItem.vendor == vendor, InboxItem.dedup_key == key)
            ).one()
            return Stored(earlier_id, duplicate=True), reply if reply is not None else _proceed(render)
        now = utcnow()
        calls = calls_service.apply_events(session=session, vendor=vendor, events=events, policy=state.call_policy)
        decision = decide_for_pbx(
            session=session, call=calls[0], now=now, max_targets=max_targets, asks_again=asks_again
        )
        reply = render(decision)
        session.execute(update(InboxItem).where(InboxItem.id == row_id).values(handled_at=now, reply=reply))
        log.info("call %s (%s): %s", calls[0].id, calls[0].external_id, decision.model_dump(exclude_none=True))
        return Stored(row_id, duplicate=False), reply

    try:
        return await state.db.run(work)
    except Exception:
        log.exception("%s webhook %s: routing failed; stored for the inbox processor", vendor, key)
        stored = await state.inbox_writer.store(
            **{k: row[k] for k in ("vendor", "path", "headers", "remote_addr")}, body=body, dedup_key=key
        )
        return stored, _proceed(render)


def _proceed(render: Render) -> str:
    return render(RouteDecision(action=RouteAction.proceed))
