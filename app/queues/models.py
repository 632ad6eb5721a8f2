from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime, utcnow
from app.defaults import EMPTY_LIST
from routing import Strategy


class QueueMode(StrEnum):
    """How callfunnel's decision reaches the PBX."""

    sync = "sync"  # answered in the webhook's reply (Zadarma, the generic protocol)
    command = "command"  # a command sent to the PBX (MANGO ``commands/route``)
    observe = "observe"  # the PBX distributes; callfunnel records (and routes only the sticky step)


class Queue(SQLModel, table=True):
    __tablename__ = "queue"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    numbers: list = Field(default_factory=EMPTY_LIST, sa_column=Column(JSON, nullable=False))  # lines, E.164
    strategy: Strategy = Field(default=Strategy.round_robin, sa_type=String(20))
    mode: QueueMode = Field(default=QueueMode.sync, sa_type=String(10))
    skill: str | None = Field(default=None, max_length=50)
    min_level: int = 1
    escalate_after_seconds: int | None = None
    escalated_min_level: int = 0
    ring_timeout_seconds: int = 20
    max_wait_seconds: int = 120
    max_no_answers: int = 3
    # {"mon": [["09:00", "18:00"]], ...}; None: always open.
    hours: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    timezone: str = Field(default="Europe/Moscow", max_length=64)
    sticky: bool = True
    sticky_timeout_seconds: int = 15
    sticky_days: int = 30
    # The PBX's own group or scenario to hand a call to when callfunnel cannot name one extension.
    pbx_group: str | None = Field(default=None, max_length=64)
    # A new client (a number never seen) answered from this queue starts a deal in this pipeline's
    # first stage, owned by the manager who answered; None: no deal is started by itself.
    deal_pipeline_id: int | None = Field(default=None, foreign_key="pipeline.id")
    last_offered_id: int | None = None  # round-robin memory, advanced after every offer
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class QueueMember(SQLModel, table=True):
    __tablename__ = "queue_member"

    queue_id: int = Field(foreign_key="queue.id", primary_key=True, ondelete="CASCADE")
    operator_id: int = Field(foreign_key="operator.user_id", primary_key=True, ondelete="CASCADE")
    position: int = 0
