from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, text
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime, utcnow
from app.defaults import EMPTY_LIST


def whole_seconds(start: datetime, end: datetime) -> int:
    return int(end.timestamp()) - int(start.timestamp())


class EntryStatus(StrEnum):
    waiting = "waiting"  # nobody is ringing for it
    offering = "offering"  # one or more offers ring
    connected = "connected"  # an operator took it
    exited = "exited"  # left the queue unanswered (see exit_reason)


LIVE_ENTRY = (EntryStatus.waiting, EntryStatus.offering)


class QueueEntry(SQLModel, table=True):
    """A call's place in a queue: kept across failed offers, so the caller never loses it."""

    __tablename__ = "queue_entry"
    __table_args__ = (
        Index("ix_queue_entry_status_priority_entered_at", "status", "priority", "entered_at"),
        Index("ix_queue_entry_queue_id_entered_at", "queue_id", "entered_at"),  # the day's figures per queue
        Index("ix_queue_entry_queue_id_status_entered_at", "queue_id", "status", "entered_at"),  # waiting now
    )

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id", unique=True)
    queue_id: int = Field(foreign_key="queue.id", index=True)
    status: EntryStatus = Field(default=EntryStatus.waiting, sa_type=String(16))
    priority: int = 0  # 1 for VIP contacts: served first
    entered_at: datetime = Field(sa_type=UTCDateTime)
    deadline_at: datetime = Field(sa_type=UTCDateTime)  # the queue's max wait
    sticky_operator_id: int | None = Field(default=None, foreign_key="user.id")
    sticky_rule: str | None = Field(default=None, max_length=16)  # owner | recent
    sticky_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The PBX has the call (its own group or scenario): a sync call until its PBX asks for a decision,
    # any call once its PBX will not ask again.  We do not offer it meanwhile.
    handed_to_pbx: bool = False
    tried: list = Field(default_factory=EMPTY_LIST, sa_column=Column(JSON, nullable=False))  # operator ids
    operator_id: int | None = Field(default=None, foreign_key="user.id")
    rule: str | None = Field(default=None, max_length=20)  # which rule chose the operator who took it
    exit_reason: str | None = Field(default=None, max_length=40)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Whole seconds from entering to leaving (each time truncated, as PBXs report them): service level.
    wait_seconds: int | None = None


class OfferStatus(StrEnum):
    ringing = "ringing"
    accepted = "accepted"
    rejected = "rejected"
    no_answer = "no_answer"
    revoked = "revoked"  # see end_reason: taken_by_other, caller_hung_up, queue_timeout, operator_left, ...


_RINGING_SQL = text("status = 'ringing'")


class Offer(SQLModel, table=True):
    """One operator asked to take one call, until ``expires_at``."""

    __tablename__ = "offer"
    __table_args__ = (
        # The database itself refuses a second ringing offer for an operator.
        Index(
            "uq_offer_ringing_operator",
            "operator_id",
            unique=True,
            postgresql_where=_RINGING_SQL,
            sqlite_where=_RINGING_SQL,
        ),
        Index("ix_offer_status_expires_at", "status", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="queue_entry.id", index=True)
    call_id: int = Field(foreign_key="call.id", index=True)
    operator_id: int = Field(foreign_key="user.id")
    extension: str | None = Field(default=None, max_length=32)
    rule: str = Field(max_length=20)
    status: OfferStatus = Field(default=OfferStatus.ringing, sa_type=String(16))
    leg_key: str | None = Field(default=None, max_length=128)  # the PBX leg that rang for it
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: str | None = Field(default=None, max_length=40)
