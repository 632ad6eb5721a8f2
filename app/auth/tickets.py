"""Websocket tickets: a browser opens a socket with ``?ticket=`` instead of putting its token in a URL.

A ticket is single-use and valid for ``TICKET_SECONDS``; only its digest is stored, so any
process can accept it.  It is bound to the token (or sign-in) that asked for it: the socket it
opens is closed when that token is revoked or reissued, or the sign-in ends.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from app.auth import service
from app.auth.models import User, WsTicket

TICKET_SECONDS = 30


def digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue(*, session: Session, user_id: int, token_digest: str, now: datetime) -> tuple[str, datetime]:
    """A new ticket and when it expires; tickets that expired a while ago are cleared on the way."""
    session.execute(delete(WsTicket).where(WsTicket.expires_at < now - timedelta(hours=1)))
    ticket = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=TICKET_SECONDS)
    session.add(WsTicket(digest=digest(ticket), user_id=user_id, token_digest=token_digest, expires_at=expires_at))
    return ticket, expires_at


def redeem(*, session: Session, ticket: str, now: datetime) -> tuple[User, str] | None:
    """The user and the token digest the ticket stands for, once; None when it is unknown, used,
    expired, or its token no longer current."""
    claimed = session.execute(
        update(WsTicket)
        .where(WsTicket.digest == digest(ticket), WsTicket.used_at.is_(None), WsTicket.expires_at > now)
        .values(used_at=now)
        .returning(WsTicket.user_id, WsTicket.token_digest)
    ).first()
    if claimed is None:
        return None
    user_id, token_digest = claimed
    user = service.holder(session=session, digest=token_digest, now=now)
    return (user, token_digest) if user is not None and user.id == user_id else None
