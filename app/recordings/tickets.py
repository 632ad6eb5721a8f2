"""Listening tickets: a browser's ``<audio>`` cannot send a header, so its URL carries ``?ticket=``.

A ticket is bound to one user and one recording and serves every Range request for
``TICKET_MINUTES``; only its digest is stored, so any process accepts it.  Whether the user may
still listen is checked on each use, like a token's.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.auth.tickets import digest
from app.recordings.models import RecordingTicket

TICKET_MINUTES = 10


def issue(*, session: Session, user_id: int, recording_id: int, now: datetime) -> tuple[str, datetime]:
    session.execute(delete(RecordingTicket).where(RecordingTicket.expires_at < now - timedelta(hours=1)))
    ticket = secrets.token_urlsafe(32)
    expires_at = now + timedelta(minutes=TICKET_MINUTES)
    session.add(
        RecordingTicket(digest=digest(ticket), user_id=user_id, recording_id=recording_id, expires_at=expires_at)
    )
    return ticket, expires_at


def holder(*, session: Session, ticket: str, now: datetime) -> tuple[User, int] | None:
    """The active user the ticket was issued to and its recording, while it is valid."""
    held = session.execute(
        select(RecordingTicket.user_id, RecordingTicket.recording_id).where(
            RecordingTicket.digest == digest(ticket), RecordingTicket.expires_at > now
        )
    ).first()
    user = session.get(User, held.user_id) if held is not None else None
    return (user, held.recording_id) if user is not None and user.active else None
