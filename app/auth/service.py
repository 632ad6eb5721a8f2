"""Users and their bearer tokens."""

import hashlib
import secrets

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role, User
from app.errors import Conflict, NotFound
from app.operators.models import Operator
from app.realtime import outbox


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def holder_of(token: str) -> Select:
    """The query for the user holding this token, if it is current."""
    return select(User).where(User.token_digest == token_digest(token))


async def authenticate(*, session: AsyncSession, token: str) -> User | None:
    """The user holding this token, if it is current."""
    return (await session.execute(holder_of(token))).scalar_one_or_none()


async def get_by_name(*, session: AsyncSession, name: str) -> User:
    """The user with this name, or NotFound."""
    user = (await session.execute(select(User).where(User.name == name))).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user named {name!r}")
    return user


async def create(
    *, session: AsyncSession, name: str, role: Role, extension: str | None = None, skills: dict | None = None
) -> tuple[User, str]:
    """A new user with a fresh token; returns the token (only its digest is stored).

    An operator starts ``offline``, with the skills given (``{"sales": 8}``)."""
    if (await session.execute(select(User.id).where(User.name == name))).first():
        raise Conflict(f"user {name!r} already exists")
    if extension and (await session.execute(select(User.id).where(User.extension == extension))).first():
        raise Conflict(f"extension {extension} already belongs to another user")
    token = new_token()
    user = User(name=name, role=role, extension=extension, token_digest=token_digest(token))
    session.add(user)
    await session.flush()
    if role == Role.operator:
        session.add(Operator(user_id=user.id, skills=skills or {}))
        await session.flush()
    return user, token


async def reissue_token(*, session: AsyncSession, name: str) -> str:
    """Replaces the user's token; the old one stops working, on requests and open sockets alike."""
    user = await get_by_name(session=session, name=name)
    token = new_token()
    _retire(session, user)
    user.token_digest = token_digest(token)
    return token


async def revoke_token(*, session: AsyncSession, name: str) -> None:
    """The user's token stops working, open sockets included; the user and their history stay."""
    user = await get_by_name(session=session, name=name)
    _retire(session, user)
    user.token_digest = None


def _retire(session: AsyncSession, user: User) -> None:
    if user.token_digest is not None:
        outbox.token_revoked(session.sync_session, user_id=user.id, token_digest=user.token_digest)
