"""The command outbox: writing commands, taking the due ones, recording what the PBX said."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.commands.models import CommandStatus, PbxCommand
from app.database import ROW_LOCK

MAX_ATTEMPTS = 3


def request(*, session: Session, vendor: str, kind: str, target: str, now: datetime, **links) -> PbxCommand:
    """Writes a command to send once this transaction commits."""
    command = PbxCommand(
        command_id=f"cf-{uuid.uuid4().hex}",
        vendor=vendor,
        kind=kind,
        target=target,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
        **links,
    )
    session.add(command)
    session.flush()
    return command


def take_due(*, session: Session, now: datetime, limit: int = 20) -> list[PbxCommand]:
    query = (
        select(PbxCommand)
        .where(PbxCommand.status == CommandStatus.pending, PbxCommand.next_attempt_at <= now)
        .order_by(PbxCommand.next_attempt_at, PbxCommand.id)
        .limit(limit)
        .with_for_update(skip_locked=True, **ROW_LOCK)
    )
    return list(session.execute(query).scalars())


def click_to_call(*, session: Session, vendor: str, extension: str, phone: str, now: datetime, **links) -> PbxCommand:
    """The PBX rings ``extension``, then ``phone`` (E.164; the vendors want it without the ``+``)."""
    return request(
        session=session, vendor=vendor, kind="callback", target=extension, to_number=phone.lstrip("+"), now=now, **links
    )


def settle(*, command: PbxCommand, status: CommandStatus, result: str, now: datetime) -> None:
    command.status, command.result, command.updated_at = status, result[:200], now


def retry_later(*, command: PbxCommand, result: str, now: datetime) -> bool:
    """Schedules another attempt with the same ``command_id``; False when attempts are used up."""
    if command.attempts >= MAX_ATTEMPTS:
        return False
    command.status, command.result, command.updated_at = CommandStatus.pending, result[:200], now
    command.next_attempt_at = now + timedelta(seconds=2**command.attempts)
    return True


def by_command_id(*, session: Session, command_id: str) -> PbxCommand | None:
    query = select(PbxCommand).where(PbxCommand.command_id == command_id).with_for_update(**ROW_LOCK)
    return session.execute(query).scalar_one_or_none()
