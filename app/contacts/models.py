from datetime import date, datetime

from sqlmodel import Field, SQLModel

from app.database import UTCDateTime, utcnow


class Contact(SQLModel, table=True):
    """A client, found by the E.164 form of their number."""

    __tablename__ = "contact"

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20, unique=True)  # E.164
    phone_raw: str = Field(max_length=128)  # as first seen
    name: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)  # personal manager
    vip: bool = False  # served first in every queue
    timezone: str | None = Field(default=None, max_length=64)  # the client's own, when known (IANA name)
    collected_by: int | None = Field(default=None, foreign_key="user.id")  # the collector who found them
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # a first attempt reached a person
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DoNotCall(SQLModel, table=True):
    """A number nobody may call out to: every call list leaves it out and click-to-call refuses it.
    ``source`` says who asked (the subscriber, a regulator's list, a disposition) and ``listed_on`` when."""

    __tablename__ = "do_not_call"

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20, unique=True)  # E.164
    source: str = Field(max_length=100)
    listed_on: date
    added_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContactClaim(SQLModel, table=True):
    """The one manager working a contact now — on a call list or its callback — the contact is the
    key (a primary key on both databases); it lapses at ``expires_at`` (``LIST_CLAIM_MINUTES``)."""

    __tablename__ = "contact_claim"

    contact_id: int = Field(foreign_key="contact.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    operator_id: int = Field(foreign_key="user.id")
    attempt_id: int | None = Field(default=None, foreign_key="call_attempt.id")
    expires_at: datetime = Field(sa_type=UTCDateTime)
