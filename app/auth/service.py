"""Users and their bearer tokens."""

import hashlib
import secrets

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.errors import Conflict, NotFound
from app.events import outbox


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def holder_of(token: str) -> Select:
    """The query for the user holding this token, if it is current."""
    return select(User).where(User.token_digest == token_digest(token))


def authenticate(*, session: Session, token: str) -> User | None:
    """The user holding this token, if it is current."""
    return (session.execute(holder_of(token))).scalar_one_or_none()


def get_by_name(*, session: Session, name: str) -> User:
    """The user with this name, or NotFound."""
    user = (session.execute(select(User).where(User.name == name))).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user named {name!r}")
    return user


def create(*, session: Session, name: str, role: Role, extension: str | None = None) -> tuple[User, str]:
    """A new user with a fresh token; returns the token (only its digest is stored).  An operator
    also needs their operator record: ``operators.service.create_user`` adds both."""
    if (session.execute(select(User.id).where(User.name == name))).first():
        raise Conflict(f"user {name!r} already exists")
    if extension and (session.execute(select(User.id).where(User.extension == extension))).first():
        raise Conflict(f"extension {extension} already belongs to another user")
    token = new_token()
    user = User(name=name, role=role, extension=extension, token_digest=token_digest(token))
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


def revoke_token(*, session: Session, name: str) -> None:
    """The user's token stops working, open sockets included; the user and their history stay."""
    user = get_by_name(session=session, name=name)
    _retire(session, user)
    user.token_digest = None


def _retire(session: Session, user: User) -> None:
    if user.token_digest is not None:
        outbox.token_revoked(session, user_id=user.id, token_digest=user.token_digest)
