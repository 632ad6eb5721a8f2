"""Webhooks a PBX waits on for a routing decision: stored, applied and answered in one transaction.

The inbox row, the call's new state, the operators' claims and the reply text commit together,
so a redelivered webhook finds the reply already given and gets it again, never a second
decision.  If deciding fails, the raw request is still stored for the inbox processor, and the
PBX is told to go on with its own plan: the call is recorded either way.
"""

import logging

from fastapi import Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import instruments
from app.database import insert_ignoring_duplicates, utcnow
from app.dispatch.decision import decide_for_pbx
from app.flows import call_events
from app.inbox.models import InboxItem, body_columns
from app.inbox.writer import Stored
from schemas.routing import RouteAction, RouteDecision
from telephony.vendor import Reading, Vendor, Webhook

log = logging.getLogger(__name__)


async def store_and_route(
    request: Request, *, vendor: Vendor, webhook: Webhook, reading: Reading, headers: dict, remote: str | None
) -> tuple[Stored, str]:
    """Returns the stored row and the reply body for the PBX."""
    state = request.app.state
    key = reading.key
    row = {
        "vendor": vendor.name,
        "path": webhook.path,
        "dedup_key": key,
        **body_columns(webhook.body),
        "headers": headers,
        "remote_addr": remote,
        "received_at": utcnow(),
        "attempts": 0,
    }

    def work(session: Session) -> tuple[Stored, str]:
        insert = insert_ignoring_duplicates(session, InboxItem.__table__, index_elements=["vendor", "dedup_key"])
        row_id = session.execute(insert.returning(InboxItem.id), [row]).scalar()
        if row_id is None:
            earlier_id, reply = session.execute(
                select(InboxItem.id, InboxItem.reply).where(InboxItem.vendor == vendor.name, InboxItem.dedup_key == key)
            ).one()
            return Stored(earlier_id, duplicate=True), reply if reply is not None else _proceed(vendor)
        now = utcnow()
        calls = call_events.apply_events(
            session=session, vendor=vendor.name, events=reading.events, policy=state.call_policy
        )
        decision = decide_for_pbx(
            session=session, call=calls[0], now=now, max_targets=vendor.max_targets, asks_again=vendor.asks_again
        )
        reply = vendor.render_route(decision)
        session.execute(update(InboxItem).where(InboxItem.id == row_id).values(handled_at=now, reply=reply))
        instruments.observe(session, instruments.PROCESSING_LAG, (now - row["received_at"]).total_seconds())
        log.info(
            "call %s (%s): %s",
            calls[0].id,
            calls[0].external_id,
            decision.model_dump(exclude_none=True),
            extra={"call_id": calls[0].id, "inbox_id": row_id, "vendor": vendor.name},
        )
        return Stored(row_id, duplicate=False), reply

    try:
        return await state.db.run(work)
    except Exception:
        log.exception("%s webhook %s: routing failed; stored for the inbox processor", vendor.name, key)
        stored = await state.inbox_writer.store(
            **{k: row[k] for k in ("vendor", "path", "headers", "remote_addr")}, body=webhook.body, dedup_key=key
        )
        return stored, _proceed(vendor)


def _proceed(vendor: Vendor) -> str:
    return vendor.render_route(RouteDecision(action=RouteAction.proceed))
