from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime, utcnow


class Role(StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    operator = "operator"


class User(SQLModel, table=True):
    """A person who uses callfunnel: admins, supervisors and operators (managers are operators)."""

    __tablename__ = "user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    role: Role = Field(sa_type=String(20))
    extension: str | None = Field(default=None, max_length=32, unique=True)
    # SHA-256 of the bearer token: tokens are 256-bit random, so a slow password hash buys nothing.
    token_digest: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WsTicket(SQLModel, table=True):
    """A single-use, short-lived ticket that opens a websocket in place of a token in the URL.

    Stored hashed, so any process can accept it; bound to the token that asked for it, so the
    socket closes when that token is revoked."""

    __tablename__ = "ws_ticket"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_digest: str = Field(max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
