"""Call recordings, who listened to them, and the calls marked as examples to learn from.

A recording row is what the PBX reported (several per call: MANGO records each employee's leg);
its ``external_id`` and ``url`` are the vendor's and never leave the server.  The audio is
fetched from the PBX on first listening and kept in ``RECORDING_CACHE_DIR`` (``cached_bytes``
set while the file is there).
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime
from schemas.pbx_events import RecordingState


class Recording(SQLModel, table=True):
    __tablename__ = "recording"
    __table_args__ = (
        UniqueConstraint("call_id", "external_id"),
        Index("ix_recording_cached_last_access", "cached_bytes", "last_access_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id", index=True)
    vendor: str = Field(max_length=32)
    external_id: str = Field(max_length=256)  # the vendor's id (MANGO recording_id, Zadarma call_id_with_rec)
    url: str | None = Field(default=None, max_length=2048)  # Sipuni, generic: where the file is (a secret)
    state: RecordingState = Field(sa_type=String(16))
    extension: str | None = Field(default=None, max_length=32)  # who was recorded, where the vendor says
    ready_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # playable from then
    reported_at: datetime = Field(sa_type=UTCDateTime)  # the PBX's first word of it
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # The cache: set while the audio is on disk; ``fetching_until`` is a download's lease (any process).
    cached_bytes: int | None = None
    content_type: str | None = Field(default=None, max_length=64)
    last_access_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fetching_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RecordingTicket(SQLModel, table=True):
    """A link's ``?ticket=`` for a browser's ``<audio>``: one user, one recording, many Range requests."""

    __tablename__ = "recording_ticket"

    digest: str = Field(primary_key=True, max_length=64)  # sha256 of the ticket
    user_id: int = Field(foreign_key="user.id")
    recording_id: int = Field(foreign_key="recording.id")
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class Playback(SQLModel, table=True):
    """Someone listened to a recording: one row per user, recording and hour."""

    __tablename__ = "playback"
    __table_args__ = (UniqueConstraint("recording_id", "user_id", "hour"),)

    id: int | None = Field(default=None, primary_key=True)
    recording_id: int = Field(foreign_key="recording.id")
    user_id: int = Field(foreign_key="user.id")
    hour: datetime = Field(sa_type=UTCDateTime, index=True)  # the hour the first request came in


class ExampleKind(StrEnum):
    good = "good"  # every operator may listen: how it is done
    bad = "bad"  # supervisors only: it is data about an employee


class CallExample(SQLModel, table=True):
    """A call a supervisor marked to learn from, for the stage it was working toward."""

    __tablename__ = "call_example"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id", unique=True)
    kind: ExampleKind = Field(sa_type=String(8))
    stage_id: int | None = Field(default=None, foreign_key="stage.id", index=True)
    refusal_reason_id: int | None = Field(default=None, foreign_key="refusal_reason.id")
    note: str = Field(default="", max_length=2000)
    marked_by: int = Field(foreign_key="user.id")
    marked_at: datetime = Field(sa_type=UTCDateTime)


class Scorecard(SQLModel, table=True):
    """One version of the review form; editing it makes a new version (old reviews keep theirs)."""

    __tablename__ = "scorecard"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, foreign_key="user.id")


class ScorecardItem(SQLModel, table=True):
    __tablename__ = "scorecard_item"
    __table_args__ = (UniqueConstraint("scorecard_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    scorecard_id: int = Field(foreign_key="scorecard.id")
    position: int  # 1, 2, ...
    name: str = Field(max_length=200)
    weight: float


class Review(SQLModel, table=True):
    """A supervisor's score of a call: the weighted share of the applicable items, in %."""

    __tablename__ = "review"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id", index=True)
    reviewer_id: int = Field(foreign_key="user.id")
    scorecard_id: int = Field(foreign_key="scorecard.id")
    score: float | None = None  # None: every item n/a
    comment: str = Field(default="", max_length=4000)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class ReviewAnswer(SQLModel, table=True):
    """One item as it was scored: its name and weight copied, so a later scorecard changes nothing."""

    __tablename__ = "review_answer"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    position: int
    name: str = Field(max_length=200)
    weight: float
    answer: str = Field(max_length=8)  # yes, partly, no, na


class ReviewNote(SQLModel, table=True):
    """A note pinned to a moment of the call's recording."""

    __tablename__ = "review_note"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    recording_id: int | None = Field(default=None, foreign_key="recording.id")
    at_seconds: float
    text: str = Field(max_length=2000)
