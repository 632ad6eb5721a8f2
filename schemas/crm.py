from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

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


class PipelineOut(BaseModel):
    id: int
    name: str
    stages: list[StageOut]


class RefusalReasonIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    reopen_after_days: int | None = Field(default=None, ge=1, le=3650)


class RefusalReasonOut(RefusalReasonIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    active: bool


class DealIn(BaseModel):
    contact_id: int
    pipeline_id: int | None = None  # the default pipeline when omitted
    stage_id: int | None = None  # None: on the list, not reached yet
    owner_id: int | None = None  # supervisors may create deals for a manager; a manager's own by default
    amount: float | None = Field(default=None, ge=0)
    takeover: bool = False  # a manager starting a deal on another manager's client (logged)


class StageMove(BaseModel):
    stage_id: int


class Loss(BaseModel):
    refusal_reason_id: int


class DealOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    pipeline_id: int
    stage_id: int | None
    owner_id: int
    amount: float | None
    status: str
    refusal_reason_id: int | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
