from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from routing import Strategy, hours
from schemas.common import MAX_ID, Id

Seconds = Annotated[int, Field(ge=1, le=86400)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class QueueSettings(BaseModel):
    """Everything about a queue but its name and members; every field has the documented default."""

    numbers: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]] = []
    strategy: Strategy = Strategy.round_robin
    mode: Annotated[str, Field(pattern="^(sync|command|observe)$")] = "sync"
    skill: Annotated[str, StringConstraints(max_length=50)] | None = None
    min_level: Annotated[int, Field(ge=0, le=10)] = 1
    escalate_after_seconds: Seconds | None = None
    escalated_min_level: Annotated[int, Field(ge=0, le=10)] = 0
    ring_timeout_seconds: Seconds = 20
    max_wait_seconds: Seconds = 120
    max_no_answers: Annotated[int, Field(ge=0, le=100)] = 3
    hours: dict[str, list[list[str]]] | None = None
    timezone: str = "Europe/Moscow"
    sticky: bool = True
    sticky_timeout_seconds: Seconds = 15
    sticky_days: Annotated[int, Field(ge=1, le=3650)] = 30
    pbx_group: Annotated[str, StringConstraints(max_length=64)] | None = None
    # A new client answered from this queue starts a deal in this pipeline's first stage.
    deal_pipeline_id: Id | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("hours")
    @classmethod
    def _readable_hours(cls, value):
        hours.validate(value)
        return value

    @model_validator(mode="after")
    def _skill_for_skill_priority(self):
        if self.strategy == Strategy.skill_priority and not self.skill:
            raise ValueError("skill_priority needs the queue's skill")
        return self


class QueueCreate(QueueSettings):
    name: Name


class QueuePatch(BaseModel):
    """Any of the queue's settings; the rest stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    numbers: list[str] | None = None
    strategy: Strategy | None = None
    mode: str | None = None
    skill: str | None = None
    min_level: int | None = None
    escalate_after_seconds: int | None = None
    escalated_min_level: int | None = None
    ring_timeout_seconds: int | None = None
    max_wait_seconds: int | None = None
    max_no_answers: int | None = None
    hours: dict[str, list[list[str]]] | None = None
    timezone: str | None = None
    sticky: bool | None = None
    sticky_timeout_seconds: int | None = None
    sticky_days: int | None = None
    pbx_group: str | None = None
    deal_pipeline_id: Id | None = None


class Member(BaseModel):
    operator_id: Id
    position: Annotated[int, Field(ge=0, le=MAX_ID)] = 0


class QueueOut(QueueCreate):
    id: int
    members: list[Member]
    created_at: datetime
