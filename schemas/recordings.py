from datetime import datetime

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
