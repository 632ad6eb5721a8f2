"""Sign-ins and websocket tickets are pruned once they can matter no more: a sign-in a day after
it ended (its sockets closed when it did), a ticket an hour after it expired.  (Failed sign-ins
are pruned as they stop counting, by ``sign_in.failed``.)"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import retention
from app.auth.models import LoginSession, WsTicket
from app.database import Database, utcnow

log = logging.getLogger(__name__)

KEPT_AFTER_THE_END = timedelta(days=1)
TICKETS_KEPT = timedelta(hours=1)


def _batch(session: Session, table, condition) -> int:
    ids = select(table.id).where(condition).limit(retention.BATCH).scalar_subquery()
    return session.execute(delete(table).where(table.id.in_(ids))).rowcount


def prune_batch(session: Session, *, now: datetime) -> int:
    """At most a batch of each kind; how many went."""
    return sum(
        (
            _batch(session, LoginSession, LoginSession.ended_at < now - KEPT_AFTER_THE_END),
            _batch(session, WsTicket, WsTicket.expires_at < now - TICKETS_KEPT),
        )
    )


async def prune(*, db: Database) -> int:
    pruned = await retention.in_batches(db, lambda session: prune_batch(session, now=utcnow()))
    if pruned:
        log.info("pruned %d old sign-ins and websocket tickets", pruned)
    return pruned
