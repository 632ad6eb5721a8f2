from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.common import Id


class PlaybackOut(BaseModel):
    user_id: int
    user_name: str
    hour: datetime  # the hour (UTC) in which they listened


class RecordingOut(BaseModel):
    id: int  # callfunnel's own: the PBX's id and link are never shown
    state: str  # recording, processing, playable, not_stored
    expected_at: datetime | None  # not playable yet: when it should be
    duration_seconds: int | None  # of the recorded conversation, where the call's legs tell
    extension: str | None  # who was recorded
    operator_id: int | None
    reported_at: datetime
    playbacks: list[PlaybackOut] | None = None  # to supervisors and admins only


class TicketIn(BaseModel):
    recording_id: Id | None = None  # default: the call's newest playable recording


class TicketOut(BaseModel):
    url: str  # the audio's URL with ``?ticket=``, for an ``<audio>`` element
    expires_at: datetime


class ExampleIn(BaseModel):
    kind: str = Field(pattern="^(good|bad)$")
    stage_id: Id | None = None  # default: the stage the call was working toward
    refusal_reason_id: Id | None = None
    note: str = Field(default="", max_length=2000)


class ExampleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    call_id: int
    kind: str
    stage_id: int | None
    refusal_reason_id: int | None
    note: str
    marked_by: int
    marked_at: datetime
    operator_id: int | None = None  # the call's operator
    started_at: datetime | None = None  # the call's


class ScorecardItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    weight: float = Field(gt=0, le=100)


class ScorecardIn(BaseModel):
    items: list[ScorecardItemIn] = Field(min_length=1, max_length=50)


class ScorecardItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    name: str
    weight: float


class ScorecardOut(BaseModel):
    id: int
    created_at: datetime
    items: list[ScorecardItemOut]


class ReviewNoteIn(BaseModel):
    at_seconds: float = Field(ge=0, le=86_400)  # the moment of the recording
    text: str = Field(min_length=1, max_length=2000)
    recording_id: Id | None = None


class ReviewIn(BaseModel):
    call_id: Id
    scorecard_id: Id  # the scorecard answered (409 if it changed meanwhile)
    answers: list[Literal["yes", "partly", "no", "na"]] = Field(max_length=50)  # one per item, in order
    comment: str = Field(default="", max_length=4000)
    notes: list[ReviewNoteIn] = Field(default_factory=list, max_length=200)


class ReviewAnswerOut(BaseModel):
    position: int
    name: str
    weight: float
    answer: str


class ReviewNoteOut(BaseModel):
    at_seconds: float
    text: str
    recording_id: int | None


class ReviewOut(BaseModel):
    id: int
    call_id: int
    operator_id: int | None  # the call's
    reviewer_id: int
    scorecard_id: int
    score: float | None  # % of the applicable items' weight; None: nothing applied
    comment: str
    created_at: datetime
    answers: list[ReviewAnswerOut]
    notes: list[ReviewNoteOut]
