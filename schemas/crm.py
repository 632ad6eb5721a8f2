from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.common import AwareMoment, Id

Rate = Annotated[float, Field(ge=0, le=100)]


class StageIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    target_rate: Rate  # % of the deals that reached the previous stage (the first: of the list)


class StageOut(StageIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int


class PipelineIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    stages: list[StageIn] = Field(min_length=1, max_length=50)
    meeting_stage: str | None = Field(default=None, max_length=100)  # the stage a booked meeting moves a deal to
    handoff_stage: str | None = Field(default=None, max_length=100)  # where a closer hands the client on


class PipelineOut(BaseModel):
    id: int
    name: str
    stages: list[StageOut]
    meeting_stage_id: int | None = None
    handoff_stage_id: int | None = None


class RefusalReasonIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    reopen_after_days: int | None = Field(default=None, ge=1, le=3650)
    reopen_as_new_deal: bool = False  # when the delay passes: a new deal, or the lost one reopened


class RefusalReasonOut(RefusalReasonIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    active: bool


class DealIn(BaseModel):
    contact_id: Id
    pipeline_id: Id | None = None  # the default pipeline when omitted
    stage_id: Id | None = None  # None: on the list, not reached yet
    owner_id: Id | None = None  # supervisors may create deals for a manager; a manager's own by default
    amount: float | None = Field(default=None, ge=0)
    takeover: bool = False  # a manager starting a deal on another manager's client (logged)


class StageMove(BaseModel):
    stage_id: Id
    closer_id: Id | None = None  # into the meeting stage: the closer who takes the client (default: the least busy)


class Win(BaseModel):
    amount: float | None = Field(default=None, ge=0, le=1e12)  # roubles and kopecks: 150000.50


class Loss(BaseModel):
    refusal_reason_id: Id


class DealOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    pipeline_id: int
    stage_id: int | None
    owner_id: int
    closer_id: int | None  # active sales: the closer credited with the contract and the sale
    amount: float | None
    status: str
    refusal_reason_id: int | None
    touch_count: int
    last_touch_at: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    reopen_at: datetime | None  # a refusal that reopens: when


class TouchIn(BaseModel):
    """A touch other than a call (calls are recorded by themselves)."""

    contact_id: Id
    deal_id: Id | None = None
    channel: Literal["note", "email", "meeting", "message"]
    reason: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=4000)
    at: AwareMoment | None = None  # default: now


class TouchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    deal_id: int | None
    channel: str
    direction: str | None
    answered: bool | None
    operator_id: int | None
    call_id: int | None
    reason: str | None
    note: str | None
    at: datetime


class TaskIn(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    due_at: AwareMoment
    deal_id: Id | None = None
    contact_id: Id | None = None
    owner_id: Id | None = None  # supervisors assign; a manager's own by default


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_id: int
    kind: str
    title: str
    deal_id: int | None
    contact_id: int | None
    due_at: datetime
    done_at: datetime | None
    created_at: datetime
