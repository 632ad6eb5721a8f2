from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime, utcnow


class CommandStatus(StrEnum):
    pending = "pending"  # to be sent at next_attempt_at
    sent = "sent"  # the PBX acknowledged it; its result is awaited
    succeeded = "succeeded"
    failed = "failed"
    refused = "refused"  # our rate limit said no: the PBX's own distribution stands
    canceled = "canceled"  # no longer needed (the call moved on before we could send it)


class PbxCommand(SQLModel, table=True):
    """One command to a PBX, written in the transaction that decided it and sent after commit."""

    __tablename__ = "pbx_command"
    __table_args__ = (
        Index("ix_pbx_command_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_pbx_command_offer_id", "offer_id"),  # an offer's commands: its retention, its delete's key check
    )

    id: int | None = Field(default=None, primary_key=True)
    command_id: str = Field(max_length=64, unique=True)  # ours, echoed by the PBX's result
    vendor: str = Field(max_length=32)
    kind: str = Field(max_length=16)  # route | callback
    status: CommandStatus = Field(default=CommandStatus.pending, sa_type=String(16))
    call_id: int | None = Field(default=None, foreign_key="call.id", index=True)
    offer_id: int | None = Field(default=None, foreign_key="offer.id")
    callback_id: int | None = Field(default=None, foreign_key="callback.id")
    attempt_id: int | None = Field(default=None, foreign_key="call_attempt.id")  # a call list's dial: never retried
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    target: str = Field(max_length=64)  # route: extension or group; callback: the operator's extension
    to_number: str | None = Field(default=None, max_length=32)  # callback: the client's number
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    result: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RateBudget(SQLModel, table=True):
    """A shared rate limit: the next moment a request under ``key`` may go out (all processes)."""

    __tablename__ = "rate_budget"

    key: str = Field(primary_key=True, max_length=64)
    next_free_at: datetime = Field(sa_type=UTCDateTime)
