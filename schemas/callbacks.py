from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from schemas.common import Id


class CallbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    phone: str | None
    phone_raw: str | None
    contact_id: int | None
    reason: str
    status: str
    missed_count: int
    first_missed_at: datetime
    last_missed_at: datetime
    due_at: datetime
    assignee_id: int | None
    attempts: int
    result: str | None
    resolved_call_id: int | None
    closed_at: datetime | None
    created_at: datetime


class ClaimRequest(BaseModel):
    takeover: bool = False  # take a callback whose client belongs to another manager (logged)
    assignee_id: Id | None = None  # supervisors: assign to this operator instead of themselves


class CompleteRequest(BaseModel):
    result: str = Field(min_length=1, max_length=500)
    takeover: bool = False


class CancelRequest(BaseModel):
    reason: str = Field(default="canceled", min_length=1, max_length=500)
    takeover: bool = False


class DialOut(BaseModel):
    command_id: str  # the PBX reports the command's result under this id
    callback: CallbackOut
