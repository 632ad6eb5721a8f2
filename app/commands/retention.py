"""PBX commands that are done with (sent long ago, succeeded, failed, refused, canceled) are
pruned after ``OFFER_RETENTION_DAYS``; pending ones never."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import retention
from app.commands.models import CommandStatus, PbxCommand


def prune_finished(session: Session, *, before: datetime) -> int:
    batch = (
        select(PbxCommand.id)
        .where(PbxCommand.status != CommandStatus.pending, PbxCommand.updated_at < before)
        .limit(retention.BATCH)
        .scalar_subquery()
    )
    return session.execute(delete(PbxCommand).where(PbxCommand.id.in_(batch))).rowcount
