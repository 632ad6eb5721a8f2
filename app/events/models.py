"""The events table and the counter that numbers it."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index, String
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime, utcnow
from app.defaults import EMPTY_DICT

SUPERVISORS = "supervisors"
OPERATOR = "operator"
SESSIONS = "sessions"  # credentials that stopped working: every process closes the sockets opened with them


class RealtimeEvent(SQLModel, table=True):
    """One event shown on the live clients, numbered in commit order.

    ``seq`` comes from ``event_counter``, whose row the committing transaction holds locked
    until it commits: a later number never becomes visible before an earlier one, so a client
    resuming after ``seq`` cannot skip an event that committed late.
    """

    __tablename__ = "realtime_event"
    __table_args__ = (Index("ix_realtime_event_at", "at"),)

    seq: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    type: str = Field(max_length=32)
    audience: str = Field(sa_type=String(16))  # supervisors, or operator (then operator_id says which)
    operator_id: int | None = None
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    payload: dict = Field(default_factory=EMPTY_DICT, sa_column=Column(JSON, nullable=False))


class EventCounter(SQLModel, table=True):
    """The last ``seq`` given out (one row)."""

    __tablename__ = "event_counter"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_type=BigInteger)
