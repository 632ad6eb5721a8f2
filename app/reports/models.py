"""The calls report's per-day rollups, and what keeps them true.

A call's *figures* (``call_figures.FIGURES``: offered, answered, ..., repeated) are its
contribution to the report.  ``CallFiguresPart`` remembers the contribution each inbound call last
made to ``CallRollup`` (its day in ``TIMEZONE``, queue and operator), so that a change applies as a
difference: the rollup loses the old part and gains the new one.  Triggers on ``call`` and
``queue_entry`` (migration 0013) note every changed call in ``CallRollupPending``, whatever wrote
it — an ORM flush or a bulk update.
"""

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime

# Rollups have no group for "none": a call outside any queue, or answered by nobody, counts under 0.
NO_GROUP = 0


class Figures(SQLModel):
    """One contribution to the calls report; a rollup row is the sum of its calls' parts."""

    offered: int = 0
    answered: int = 0
    missed: int = 0
    abandoned: int = 0
    queued: int = 0
    quick: int = 0  # answered from the queue within the service-level threshold
    ended: int = 0  # left the queue answered, missed or abandoned
    waited: int = 0  # seconds in the queue of the calls answered from it
    from_queue: int = 0
    gave_up: int = 0
    unconfirmed: int = 0
    identified: int = 0
    fcr_eligible: int = 0  # stored: answered from an identified number (eligibility by date is the report's)
    fcr_resolved: int = 0
    repeated: int = 0


class CallRollup(Figures, table=True):
    """The figures of one day's inbound calls (days in ``RollupState.timezone``) per queue and operator."""

    __tablename__ = "call_rollup"
    __table_args__ = (UniqueConstraint("day", "queue_id", "operator_id"),)

    id: int | None = Field(default=None, primary_key=True)
    day: str = Field(max_length=10)  # YYYY-MM-DD
    queue_id: int = NO_GROUP
    operator_id: int = NO_GROUP


class CallFiguresPart(Figures, table=True):
    """What one inbound call last added to its rollup row (no foreign key: a report's memory)."""

    __tablename__ = "call_figures_part"
    __table_args__ = (Index("ix_call_figures_part_started_at", "started_at"),)  # partial days

    call_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    day: str = Field(max_length=10)
    queue_id: int = NO_GROUP
    operator_id: int = NO_GROUP
    number: str | None = Field(default=None, max_length=20)
    started_at: datetime = Field(sa_type=UTCDateTime)


class CallRollupPending(SQLModel, table=True):
    """A call whose figures may have changed since its part was taken (written by triggers)."""

    __tablename__ = "call_rollup_pending"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int


class RollupState(SQLModel, table=True):
    """What the rollups were built for: with another ``TIMEZONE`` or ``FCR_DAYS`` they are not used
    (the report reads raw rows) until ``callfunnel reports rebuild``."""

    __tablename__ = "rollup_state"

    id: int = Field(default=1, primary_key=True)
    timezone: str | None = Field(default=None, max_length=64)
    fcr_days: int | None = None
