from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from schemas.calls import CallOut
from schemas.common import Id


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    phone: str
    phone_raw: str
    name: str | None
    company: str | None
    owner_id: int | None
    vip: bool
    created_at: datetime


class ContactDetail(ContactOut):
    calls: list[CallOut]


class ContactUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    owner_id: Id | None = None
    vip: bool | None = None  # served first in every queue


class ContactIn(BaseModel):
    phone: str = Field(min_length=1, max_length=64)  # any notation; stored as E.164
    name: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=200)


class MergeIn(BaseModel):
    other_id: Id  # the duplicate: merged into the contact in the path, then deleted
