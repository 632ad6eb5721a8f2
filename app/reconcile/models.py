from datetime import datetime

from sqlmodel import Field, SQLModel

from app.database import UTCDateTime


class Reconciliation(SQLModel, table=True):
    """Per vendor: how far the PBX's history has been read, and the run in progress (one process at a time)."""

    __tablename__ = "reconciliation"

    vendor: str = Field(primary_key=True, max_length=32)
    read_until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # history before this is reconciled
    last_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the last run without an error
    last_error: str | None = Field(default=None, max_length=500)
    running_until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # a process's claim on the run
    calls_seen: int = 0  # by the last run
    calls_created: int = 0  # by the last run: calls callfunnel had never heard of
    calls_completed: int = 0  # by the last run: known calls whose end had not arrived
