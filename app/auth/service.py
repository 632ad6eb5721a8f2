"""Users and their credentials: the API token, and the sign-in sessions (``sign_in``) beside it.
Both are bearer tokens, stored as digests; a deactivated user holds neither."""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import LoginSession, Role, User
from app.database import ROW_LOCK
from app.errors import Conflict, NotFound
from app.events import outbox


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def holder(*, session: Session, digest: str, now: datetime) -> User | None:
    """The active user whose API token or live sign-in session has this digest."""
    by_token = select(User).where(User.token_digest == digest, User.active.is_(True))
    user = session.execute(by_token).scalar_one_or_none()
    if user is not None:
        return user
    by_session = (
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.digest == digest, LoginSession.ended_at.is_(None), LoginSession.expires_at > now)
        .where(User.active.is_(True))
    )
    return session.execute(by_session).scalar_one_or_none()


def authenticate(*, session: Session, token: str, now: datetime) -> User | None:
    """The user holding this token (API token or sign-in), if it is current."""
    return holder(session=session, digest=token_digest(token), now=now)


def get_by_name(*, session: Session, name: str) -> User:
    """The user with this name, or NotFound."""
    user = (session.execute(select(User).where(User.name == name))).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user named {name!r}")
    return user


def create(
    *,
    session: Session,
    name: str,
    role: Role,
    extension: str | None = None,
    password_hash: str | None = None,
    must_change_password: bool = False,
) -> tuple[User, str]:
    """A new user with a fresh token; returns the token (only its digest is stored).  An operator
    also needs their operator record: ``operators.service.create_user`` adds both."""
    if (session.execute(select(User.id).where(User.name == name))).first():
        raise Conflict(f"user {name!r} already exists")
    if extension and (session.execute(select(User.id).where(User.extension == extension))).first():
        raise Conflict(f"extension {extension} already belongs to another user")
    token = new_token()
    user = User(
        name=name,
        role=role,
        extension=extension,
        token_digest=token_digest(token),
        password_hash=password_hash,
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    return user, token


def reissue_token(*, session: Session, name: str) -> str:
    """Replaces the user's token; the old one stops working, on requests and open sockets alike."""
    user = get_by_name(session=session, name=name)
    token = new_token()
    _retire(session, user)
    user.token_digest = token_digest(token)
    return token


def revoke_token(*, session: Session, name: str, now: datetime) -> None:
    """The user's token and sign-ins stop working, open sockets included; the user and their history stay."""
    user = get_by_name(session=session, name=name)
    _retire(session, user)
    user.token_digest = None
    end_sessions(session=session, user_id=user.id, now=now)


def set_password(*, session: Session, user: User, password_hash: str, must_change: bool, now: datetime) -> None:
    """A new password; every sign-in of the user ends (their API token stays)."""
    user.password_hash, user.must_change_password = password_hash, must_change
    end_sessions(session=session, user_id=user.id, now=now)


def deactivate(*, session: Session, user: User, now: datetime) -> None:
    """The user can no longer sign in or use their token; their history stays."""
    user.active = False
    _retire(session, user)
    user.token_digest = None
    end_sessions(session=session, user_id=user.id, now=now)


def end_sessions(*, session: Session, user_id: int, now: datetime, digest: str | None = None) -> int:
    """Ends the user's live sign-ins (or the one with ``digest``); their sockets close.  Returns how many."""
    query = select(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
    if digest is not None:
        query = query.where(LoginSession.digest == digest)
    ended = list(session.execute(query.with_for_update(**ROW_LOCK)).scalars())
    for login in ended:
        login.ended_at = now
        outbox.token_revoked(session, user_id=user_id, token_digest=login.digest)
    return len(ended)


def end_expired_sessions(*, session: Session, now: datetime) -> int:
    """Sign-ins past their time are ended, so the sockets they opened close too."""
    query = select(LoginSession).where(LoginSession.ended_at.is_(None), LoginSession.expires_at <= now)
    expired = list(session.execute(query.with_for_update(skip_locked=True, **ROW_LOCK)).scalars())
    for login in expired:
        login.ended_at = now
        outbox.token_revoked(session, user_id=login.user_id, token_digest=login.digest)
    return len(expired)


def _retire(session: Session, user: User) -> None:
    if user.token_digest is not None:
        outbox.token_revoked(session, user_id=user.id, token_digest=user.token_digest)
