from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, bindparam, text
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime, utcnow
from app.defaults import EMPTY_DICT


class CallbackStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    done = "done"
    canceled = "canceled"


OPEN_STATUSES = (CallbackStatus.open, CallbackStatus.in_progress)
_OPEN_SQL = text("status IN ('open', 'in_progress')")


class Callback(SQLModel, table=True):
    """A number to call back: the missed and abandoned calls since it was last reached."""

    __tablename__ = "callback"
    __table_args__ = (
        # At most one open callback per number.
        Index("uq_callback_open_phone", "phone", unique=True, postgresql_where=_OPEN_SQL, sqlite_where=_OPEN_SQL),
        Index("ix_callback_status_due_at", "status", "due_at"),
        Index("ix_callback_due_at_id", "due_at", "id"),  # the list, every status, by due time
        Index("ix_callback_created_at", "created_at"),  # the calls report's callbacks of a period
    )

    id: int | None = Field(default=None, primary_key=True)
    phone: str | None = Field(default=None, max_length=20)  # E.164; None when the caller hid their number
    phone_raw: str | None = Field(default=None, max_length=128)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    reason: str = Field(max_length=40)
    status: CallbackStatus = Field(default=CallbackStatus.open, sa_type=String(20))
    missed_count: int = 0
    first_missed_at: datetime = Field(sa_type=UTCDateTime)
    last_missed_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    assignee_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    attempts: int = 0
    result: str | None = Field(default=None, max_length=500)
    # No foreign key: call.callback_id already points the other way, and a cycle would stop table creation.
    resolved_call_id: int | None = None
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    overdue_announced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# Open, said as the partial index says it: the statuses written into the statement, not bound, so
# that the planner sees the index's own condition (SQLite matches a partial index only so: with
# bound values, a number's open callback was looked for among every open callback, on every
# missed call and every offer's card).
IS_OPEN = Callback.status.in_(
    bindparam("open_statuses", [status.value for status in OPEN_STATUSES], expanding=True, literal_execute=True)
)


class CallbackAction(SQLModel, table=True):
    """Who did what to a callback, and when (claims, takeovers, completions)."""

    __tablename__ = "callback_action"

    id: int | None = Field(default=None, primary_key=True)
    callback_id: int = Field(foreign_key="callback.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=40)
    detail: dict = Field(default_factory=EMPTY_DICT, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
