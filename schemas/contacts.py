from datetime import date, datetime

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
    timezone: str | None = None  # the client's own zone, when set
    collected_by: int | None = None  # the collector who found them
    confirmed_at: datetime | None = None  # their first call-list attempt reached a person
    created_at: datetime


class ContactDetail(ContactOut):
    local_timezone: str  # the zone to call them in: their own, their number's area's, or TIMEZONE
    timezone_guessed: bool  # the number alone could not tell (a mobile, 8-800)
    calls: list[CallOut]


class ContactUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    owner_id: Id | None = None
    vip: bool | None = None  # served first in every queue
    timezone: str | None = Field(default=None, max_length=64)  # IANA name, e.g. Asia/Vladivostok; "" clears it


class ContactIn(BaseModel):
    phone: str = Field(min_length=1, max_length=64)  # any notation; stored as E.164
    name: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=200)


class MergeIn(BaseModel):
    other_id: Id  # the duplicate: merged into the contact in the path, then deleted


class DoNotCallIn(BaseModel):
    phone: str = Field(min_length=1, max_length=64)  # any notation
    source: str = Field(min_length=1, max_length=100)  # who asked: the subscriber, a register, ...
    listed_on: date | None = None  # default: today


class DoNotCallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    phone: str  # E.164
    source: str
    listed_on: date
    added_by: int | None
    created_at: datetime
