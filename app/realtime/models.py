from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime, utcnow
from app.defaults import EMPTY_DICT


class Panel(SQLModel, table=True):
    """An open operator panel (websocket), kept fresh by the process serving it.

    A process that dies stops refreshing ``seen_at``; the presence sweep then treats its
    panels as gone, as if they had disconnected.
    """

    __tablename__ = "panel"

    id: str = Field(primary_key=True, max_length=36)
    operator_id: int = Field(foreign_key="user.id", index=True)
    process_id: str = Field(max_length=36, index=True)
    connected_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PublishedQueueStats(SQLModel, table=True):
    """The queue figures last shown to supervisors, so each change is announced once (by any process)."""

    __tablename__ = "published_queue_stats"

    queue_id: int = Field(foreign_key="queue.id", primary_key=True)
    stats: dict = Field(default_factory=EMPTY_DICT, sa_column=Column(JSON, nullable=False))
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
