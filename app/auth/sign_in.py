"""Signing in with a name and a password: a session of its own (its bearer token, expiring after
``SESSION_HOURS``), beside the user's API token.  Five failed sign-ins for one name within 15
minutes make the next wait (429), counted in the database so every process agrees."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.auth import service
from app.auth.models import LoginFailure, LoginSession, User
from app.errors import TooManyRequests

FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5


@dataclass(frozen=True)
class Account:
    """What checking a password needs, read before the (slow) check."""

    user_id: int | None
    password_hash: str | None


def account(*, session: Session, name: str, now: datetime) -> Account:
    """The account to check a password against; 429 while the name has had too many failures."""
    since = now - FAILURE_WINDOW
    failures = list(
        session.execute(
            select(LoginFailure.at).where(LoginFailure.name == name, LoginFailure.at > since).order_by(LoginFailure.at)
        ).scalars()
    )
    if len(failures) >= MAX_FAILURES:
        wait = failures[-MAX_FAILURES] + FAILURE_WINDOW - now
        raise TooManyRequests(
            f"too many failed sign-ins for {name!r}; try again later", retry_after=max(1, int(wait.total_seconds()) + 1)
        )
    user = session.execute(select(User).where(User.name == name, User.active.is_(True))).scalar_one_or_none()
    return Account(user.id, user.password_hash) if user is not None else Account(None, None)


def failed(*, session: Session, name: str, now: datetime) -> None:
    session.add(LoginFailure(name=name[:100], at=now))
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - FAILURE_WINDOW))


def start(*, session: Session, user_id: int, hours: float, now: datetime) -> tuple[str, datetime, User]:
    """A new sign-in session: its token (shown once), when it expires, and who it is."""
    user = session.get(User, user_id)
    token = service.new_token()
    expires_at = now + timedelta(hours=hours)
    digest = service.token_digest(token)
    session.add(LoginSession(digest=digest, user_id=user_id, created_at=now, expires_at=expires_at))
    session.execute(delete(LoginFailure).where(LoginFailure.name == user.name))
    return token, expires_at, user
