import base64
from datetime import datetime

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime, utcnow
from app.defaults import EMPTY_DICT


class InboxItem(SQLModel, table=True):
    """A correctly signed PBX webhook exactly as received, stored before it is acknowledged."""

    __tablename__ = "inbox_item"
    __table_args__ = (
        UniqueConstraint("vendor", "dedup_key"),
        Index(
            "ix_inbox_item_pending",
            "id",
            postgresql_where=text("handled_at IS NULL AND error IS NULL"),
            sqlite_where=text("handled_at IS NULL AND error IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    vendor: str = Field(max_length=32)
    path: str = Field(max_length=200)
    dedup_key: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    # ``base64`` when the body held a NUL character, which PostgreSQL text cannot: ``raw_body`` undoes it.
    body_encoding: str | None = Field(default=None, max_length=16)
    headers: dict = Field(default_factory=EMPTY_DICT, sa_column=Column(JSON, nullable=False))
    remote_addr: str | None = Field(default=None, max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = 0
    # What we answered a PBX that waits for a routing decision: a redelivery gets the same answer.
    reply: str | None = Field(default=None, sa_column=Column(Text))
    # Why a routing webhook was answered with the PBX's own plan (decision_deadline, decision_failed):
    # the processor records its call as the PBX's to route.
    fallback_reason: str | None = Field(default=None, max_length=32)

    @property
    def raw_body(self) -> str:
        """The body exactly as received."""
        return raw_body(self.body, self.body_encoding)


def raw_body(body: str, encoding: str | None) -> str:
    """The body exactly as received, from its ``body`` and ``body_encoding`` columns."""
    return base64.b64decode(body).decode() if encoding == "base64" else body


def body_columns(body: str) -> dict[str, str | None]:
    """The ``body`` and ``body_encoding`` that store ``body`` on every database, reversibly."""
    if "\x00" in body:
        return {"body": base64.b64encode(body.encode()).decode(), "body_encoding": "base64"}
    return {"body": body, "body_encoding": None}
