from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from routing import hours
from schemas.common import AwareMoment, Id

Mode = Literal["preview", "progressive", "manual"]
Basis = Literal["consent", "b2b", "existing_client"]


class ListFields(BaseModel):
    mode: Mode = "preview"
    countdown_seconds: int = Field(default=10, ge=0, le=300)  # progressive: before the call starts
    max_attempts: int = Field(default=3, ge=1, le=20)  # tries that do not reach a person
    retry_after_hours: float = Field(default=24.0, gt=0, le=24 * 90)
    hours: dict[str, list[list[str]]] | None = None  # the queues' format, the contact's own time; None: Mon–Fri 09–20

    @field_validator("hours")
    @classmethod
    def _readable_hours(cls, value):
        hours.validate(value)
        return value


class ListIn(ListFields):
    name: str = Field(min_length=1, max_length=100)
    pipeline_id: Id
    timezone: str | None = Field(default=None, max_length=64)  # when the contact's cannot be told; default TIMEZONE
    basis: Basis  # shown to the caller: advertising calls need the subscriber's consent


class ListUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    pipeline_id: Id | None = None
    mode: Mode | None = None
    countdown_seconds: int | None = Field(default=None, ge=0, le=300)
    max_attempts: int | None = Field(default=None, ge=1, le=20)
    retry_after_hours: float | None = Field(default=None, gt=0, le=24 * 90)
    hours: dict[str, list[list[str]]] | None = None
    timezone: str | None = Field(default=None, max_length=64)
    basis: Basis | None = None

    @field_validator("hours")
    @classmethod
    def _readable_hours(cls, value):
        hours.validate(value)
        return value


class ListOut(ListFields):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    pipeline_id: int
    timezone: str
    basis: str
    created_at: datetime


class Progress(BaseModel):
    contacts: int
    left: int  # waiting or being worked
    due_now: int
    attempts: int
    reached: int
    meetings: int
    refusals: list[dict]


class ListDetail(ListOut):
    members: list[int]
    progress: Progress


class ListContactsIn(BaseModel):
    """Contacts by id, or a saved filter: nobody's clients, and/or an open deal in a stage."""

    contact_ids: list[Id] | None = Field(default=None, max_length=100_000)
    no_owner: bool = False
    stage_id: Id | None = None

    @model_validator(mode="after")
    def _one_way(self) -> "ListContactsIn":
        if self.contact_ids is None and not self.no_owner and self.stage_id is None:
            raise ValueError("name contact_ids, or a filter (no_owner, stage_id)")
        return self


class MemberIn(BaseModel):
    operator_id: Id


class AttemptContact(BaseModel):
    id: int
    phone: str
    name: str | None
    company: str | None
    timezone: str  # the zone the calling hours were read in
    timezone_guessed: bool  # the number alone could not tell: the list's zone


class AttemptOut(BaseModel):
    attempt_id: int
    list_id: int
    status: str
    basis: str  # why this contact may be called
    mode: str
    attempts_before: int  # tries that did not reach them
    contact: AttemptContact
    company_owner: dict | None = None  # {"id", "name"}: another contact of this company is their client


class ResultIn(BaseModel):
    result: Literal["not_reached", "busy", "wrong_number", "refused", "callback", "meeting", "do_not_call"]
    refusal_reason_id: Id | None = None
    callback_at: AwareMoment | None = None
    meeting_at: AwareMoment | None = None
    closer_id: Id | None = (
        None  # a meeting: the closer who takes the client (default: the one with the fewest open deals)
    )
    note: str | None = Field(default=None, max_length=4000)


class AttemptResultOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    list_id: int
    contact_id: int
    status: str
    result: str | None
    finished_at: datetime | None
    dial_status: str | None = None  # requested, unknown, connected, dial_failed
    command_id: str | None = None
    call_id: int | None = None  # the PBX's call the dial placed
