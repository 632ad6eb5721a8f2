"""Finished offers older than ``OFFER_RETENTION_DAYS`` are pruned, after the PBX commands that
carried them (a command references its offer); a ringing offer, or one a kept command still
references, stays.  Queue entries stay: the calls report reads them."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from app import retention
from app.commands import retention as commands_retention
from app.commands.models import PbxCommand
from app.database import Database, utcnow
from app.dispatch.models import Offer, OfferStatus

log = logging.getLogger(__name__)


def prune_finished_offers(session: Session, *, before: datetime) -> int:
    batch = (
        select(Offer.id)
        .where(
            retention.written_before(Offer.id, Offer.created_at, before),
            Offer.status != OfferStatus.ringing,
            ~exists().where(PbxCommand.offer_id == Offer.id),  # (through ix_pbx_command_offer_id)
        )
        .limit(retention.BATCH)
        .scalar_subquery()
    )
    return session.execute(delete(Offer).where(Offer.id.in_(batch))).rowcount


async def prune(*, db: Database, keep_days: float) -> dict[str, int]:
    before = utcnow() - timedelta(days=keep_days)
    pruned = {
        "commands": await retention.in_batches(db, lambda s: commands_retention.prune_finished(s, before=before)),
        "offers": await retention.in_batches(db, lambda s: prune_finished_offers(s, before=before)),
    }
    if any(pruned.values()):
        log.info("pruned %d PBX commands and %d offers older than %g days", *pruned.values(), keep_days)
    return pruned
