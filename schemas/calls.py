from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.common import AwareMoment, Id


class CallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    vendor: str
    external_id: str
    direction: str
    state: str
    outcome: str | None
    end_reason: str | None
    ended_in: str | None
    number: str | None  # E.164, or the raw string when it is not a phone number
    number_raw: str | None
    line_number: str | None
    contact_id: int | None
    operator_id: int | None
    operator_extension: str | None
    callback_id: int | None
    deal_id: int | None  # the contact's open deal when the call came
    deal_stage_id: int | None  # ... and the stage it was in then
    queue_id: int | None
    route_rule: str | None  # which rule chose the operator: a strategy, owner, recent, or pbx
    recording_id: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    finalized_by: str | None  # pbx, sweep, or history (reconciliation)
    recovered_at: datetime | None  # the call's webhooks were lost; the PBX's call history told us
    unconfirmed: bool = False  # the PBX's call history does not know this call (a forged webhook?)

    @model_validator(mode="after")
    def _raw_number_when_not_a_phone(self) -> "CallOut":
        if self.number is None:
            self.number = self.number_raw
        return self


class LegOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    external_id: str
    kind: str
    state: str
    extension: str | None
    group_number: str | None
    end_reason: str | None
    end_code: str | None
    appeared_at: datetime | None
    connected_at: datetime | None
    ended_at: datetime | None


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    recorded_at: datetime
    kind: str
    detail: dict


class CallDetail(CallOut):
    legs: list[LegOut]
    timeline: list[TransitionOut]


class DispositionIn(BaseModel):
    """After a call: what was said and what comes next."""

    note: str | None = Field(default=None, max_length=4000)
    next_step: str | None = Field(default=None, max_length=500)
    next_step_at: AwareMoment | None = None
    stage_id: Id | None = None  # move the call's deal to this stage
    refusal_reason_id: Id | None = None  # or lose it, with this reason
    do_not_call: bool = False  # the client asked not to be called: their number goes on the register


class DispositionOut(DispositionIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    call_id: int
    operator_id: int
    created_at: datetime
