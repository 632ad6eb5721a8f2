"""Call lists worked by first-line managers: the list, who works it, its contacts and their
attempts (a contact is given to one manager at a time by ``app.contacts.claims``)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime

# Monday to Friday, 09:00–20:00 in the contact's own time.
DEFAULT_HOURS = {day: [["09:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


class ListMode(StrEnum):
    preview = "preview"  # the manager sees the card, then calls
    progressive = "progressive"  # the call starts after ``countdown_seconds`` unless the manager skips
    manual = "manual"  # the manager dials from their own phone (a PBX without click-to-call)


class Basis(StrEnum):
    """Why the contact may be called, shown to the caller: advertising calls need consent (38-FZ)."""

    consent = "consent"
    b2b = "b2b"
    existing_client = "existing_client"


class CallList(SQLModel, table=True):
    __tablename__ = "call_list"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    pipeline_id: int = Field(foreign_key="pipeline.id")
    mode: ListMode = Field(default=ListMode.preview, sa_type=String(12))
    countdown_seconds: int = 10
    max_attempts: int = 3
    retry_after_hours: float = 24.0
    hours: dict | None = Field(default=None, sa_column=Column(JSON))  # None: DEFAULT_HOURS
    timezone: str = Field(max_length=64)  # for contacts whose own zone cannot be told
    basis: Basis = Field(sa_type=String(16))
    created_at: datetime = Field(sa_type=UTCDateTime)


class ListMember(SQLModel, table=True):
    __tablename__ = "call_list_member"
    __table_args__ = (UniqueConstraint("list_id", "operator_id"),)

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="call_list.id")
    operator_id: int = Field(foreign_key="user.id", index=True)


class ListContactStatus(StrEnum):
    waiting = "waiting"  # due at ``due_at``
    working = "working"  # an attempt is open
    done = "done"  # reached a result, or out of attempts


class ListContact(SQLModel, table=True):
    __tablename__ = "call_list_contact"
    __table_args__ = (
        UniqueConstraint("list_id", "contact_id"),
        Index("ix_call_list_contact_due", "list_id", "status", "due_at", "id"),  # the next due, without sorting
    )

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="call_list.id")
    contact_id: int = Field(foreign_key="contact.id", index=True)
    status: ListContactStatus = Field(default=ListContactStatus.waiting, sa_type=String(8))
    attempts: int = 0  # those that did not reach a person
    due_at: datetime = Field(sa_type=UTCDateTime)
    last_result: str | None = Field(default=None, max_length=16)


class AttemptStatus(StrEnum):
    open = "open"
    released = "released"  # given back without a result
    done = "done"


class DialStatus(StrEnum):
    requested = "requested"  # the command is on its way to the PBX, or the PBX is placing the call
    unknown = "unknown"  # the PBX did not answer in time: it may have dialled; the manager decides
    connected = "connected"  # the PBX's call is linked to the attempt
    failed = "dial_failed"  # refused, or no call within DIAL_CONFIRM_SECONDS


class Attempt(SQLModel, table=True):
    __tablename__ = "call_attempt"
    __table_args__ = (Index("ix_call_attempt_operator_status", "operator_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="call_list.id")
    list_contact_id: int = Field(foreign_key="call_list_contact.id")
    contact_id: int = Field(foreign_key="contact.id")
    operator_id: int = Field(foreign_key="user.id")
    status: AttemptStatus = Field(default=AttemptStatus.open, sa_type=String(10))
    result: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, max_length=4000)
    created_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Dialled through the PBX (click-to-call): the command, its state, and the call it placed.
    dial_status: DialStatus | None = Field(default=None, sa_type=String(12), index=True)
    command_id: str | None = Field(default=None, max_length=64)
    dialled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    call_id: int | None = Field(default=None, foreign_key="call.id")
