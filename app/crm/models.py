from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime, utcnow


class Pipeline(SQLModel, table=True):
    __tablename__ = "pipeline"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Active sales: a meeting booked from a call list moves the deal here; the hand-off stage is
    # where a closer's deal passes to an account manager.
    meeting_stage_id: int | None = Field(default=None, foreign_key="stage.id")
    handoff_stage_id: int | None = Field(default=None, foreign_key="stage.id")


class Stage(SQLModel, table=True):
    """A step of a pipeline; ``target_rate`` is the share (%) of the deals that reached the previous
    stage which should reach this one (for the first stage: of the deals created, "the list")."""

    __tablename__ = "stage"
    __table_args__ = (UniqueConstraint("pipeline_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    pipeline_id: int = Field(foreign_key="pipeline.id", index=True)
    position: int  # 1, 2, ... in funnel order
    name: str = Field(max_length=100)
    target_rate: float = Field(ge=0, le=100)


class DealStatus(StrEnum):
    open = "open"
    won = "won"
    lost = "lost"


class Deal(SQLModel, table=True):
    """A sale in progress with one contact; ``stage_id`` None: still on the list, not yet reached."""

    __tablename__ = "deal"
    __table_args__ = (
        Index("ix_deal_contact_id_status", "contact_id", "status"),
        Index("ix_deal_updated_at_id", "updated_at", "id"),  # the list, the most recently worked on first
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    pipeline_id: int = Field(foreign_key="pipeline.id", index=True)
    stage_id: int | None = Field(default=None, foreign_key="stage.id")
    owner_id: int = Field(foreign_key="user.id", index=True)
    amount: float | None = None
    status: DealStatus = Field(default=DealStatus.open, sa_type=String(8))
    refusal_reason_id: int | None = Field(default=None, foreign_key="refusal_reason.id")
    touch_count: int = 0
    last_touch_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)  # last stage move or touch
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A loss whose reason reopens: when the door opens again (the reopen job clears it once done).
    reopen_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # Active sales: the closer a booked meeting handed the client to, credited with the contract and the sale.
    closer_id: int | None = Field(default=None, foreign_key="user.id", index=True)


class DealStageMove(SQLModel, table=True):
    """Every stage a deal entered, with who moved it and when: the report is built from these."""

    __tablename__ = "deal_stage_move"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    from_stage_id: int | None = Field(default=None, foreign_key="stage.id")
    to_stage_id: int = Field(foreign_key="stage.id")
    by_user_id: int | None = Field(default=None, foreign_key="user.id")
    # Who owned the deal at the move, i.e. while it sat in the stage it left: the funnel credits
    # each stage's conversion to them (a first-line manager up to the meeting, a closer after it).
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RefusalReason(SQLModel, table=True):
    """Why a client said no; after ``reopen_after_days`` (None: never) the door opens again."""

    __tablename__ = "refusal_reason"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    reopen_after_days: int | None = Field(default=None, ge=1)
    reopen_as_new_deal: bool = False  # when the delay passes: a new deal (True) or the lost one reopened
    active: bool = True


class OwnershipChange(SQLModel, table=True):
    """A contact taken over by another manager (explicitly) or reassigned by a supervisor."""

    __tablename__ = "ownership_change"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    from_owner_id: int | None = Field(default=None, foreign_key="user.id")
    to_owner_id: int = Field(foreign_key="user.id")
    by_user_id: int = Field(foreign_key="user.id")
    reason: str = Field(max_length=40)  # claimed, takeover, reassigned, answered, meeting, handoff
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TouchChannel(StrEnum):
    call = "call"
    note = "note"
    email = "email"
    meeting = "meeting"
    message = "message"


class Touch(SQLModel, table=True):
    """One contact with the client: every call (automatically) and every note, e-mail, meeting, message."""

    __tablename__ = "touch"
    __table_args__ = (Index("ix_touch_contact_id_at", "contact_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    channel: TouchChannel = Field(sa_type=String(16))
    direction: str | None = Field(default=None, max_length=16)  # inbound, outbound (calls)
    answered: bool | None = None  # calls
    operator_id: int | None = Field(default=None, foreign_key="user.id")
    call_id: int | None = Field(default=None, foreign_key="call.id", unique=True)
    reason: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=4000)
    at: datetime = Field(sa_type=UTCDateTime)


class TaskKind(StrEnum):
    follow_up = "follow_up"  # a next step someone scheduled
    reminder = "reminder"  # a deal nobody touched for too long
    reopen = "reopen"  # a refusal's delay passed: try again


class Task(SQLModel, table=True):
    """One manager's to-do, with a due date."""

    __tablename__ = "task"
    __table_args__ = (Index("ix_task_owner_id_done_at_due_at", "owner_id", "done_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id")
    kind: TaskKind = Field(sa_type=String(16))
    title: str = Field(max_length=500)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    due_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
