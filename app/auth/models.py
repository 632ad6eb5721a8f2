from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlalchemy.sql.expression import false, true
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
    # Argon2id of the password people sign in with (None: signs in with a token only).
    password_hash: str | None = Field(default=None, max_length=255)
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    active: bool = Field(default=True, sa_column_kwargs={"server_default": true()})  # False: deactivated
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoginSession(SQLModel, table=True):
    """One sign-in (a browser tab, a phone): its own bearer token, stored as a digest, until it
    expires or is ended (logout, a password change, revocation, deactivation).  The user's API
    token is a separate credential and never touched by signing in or out."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginFailure(SQLModel, table=True):
    """A failed sign-in, counted per name so every process throttles alike."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_name_at", "name", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    at: datetime = Field(sa_type=UTCDateTime)


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
