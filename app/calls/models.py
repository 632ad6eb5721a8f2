from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime, utcnow
from app.defaults import EMPTY_DICT


class Outcome(StrEnum):
    answered = "answered"  # someone talked
    missed = "missed"  # inbound, nobody answered
    abandoned = "abandoned"  # inbound, the caller hung up while waiting
    not_reached = "not_reached"  # outbound (or internal), the callee did not answer


class CallState(StrEnum):
    new = "new"
    ivr = "ivr"
    queued = "queued"
    ringing = "ringing"
    connected = "connected"
    on_hold = "on_hold"
    ended = "ended"  # every leg is over; the outcome may still wait for the PBX's summary


class Call(SQLModel, table=True):
    """One customer call, keyed by the vendor's call id (MANGO ``entry_id``)."""

    __tablename__ = "call"
    __table_args__ = (
        UniqueConstraint("vendor", "external_id"),
        Index("ix_call_number_started_at", "number", "started_at"),
        Index("ix_call_outcome_last_event_at", "outcome", "last_event_at"),
        Index("ix_call_started_at_id", "started_at", "id"),  # the newest calls first, without sorting them all
        Index("ix_call_number_raw", "number_raw"),
        Index("ix_call_vendor_joined_id", "vendor", "joined_id"),
        # A callback's missed calls, in order: read on every miss, answer and withdrawal of a number.
        Index("ix_call_callback_id_started_at", "callback_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    vendor: str = Field(max_length=32)
    external_id: str = Field(max_length=128)
    # The same call's id in the vendor's other feed, when the two differ (UIS: the scenario step's
    # ``cdr_id`` beside the notifications' ``call_session_id``); joined by caller and start time.
    joined_id: str | None = Field(default=None, max_length=128)
    direction: str = Field(default="inbound", max_length=16)
    state: CallState = Field(default=CallState.new, sa_type=String(16))
    outcome: Outcome | None = Field(default=None, sa_type=String(16))
    end_reason: str | None = Field(default=None, max_length=40)
    end_code: str | None = Field(default=None, max_length=16)  # the vendor's own result code
    ended_in: str | None = Field(default=None, max_length=16)  # ivr, queue, ringing, talk
    number: str | None = Field(default=None, max_length=20)  # the client's number, E.164
    number_raw: str | None = Field(default=None, max_length=128)
    line_number: str | None = Field(default=None, max_length=128)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    operator_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    operator_extension: str | None = Field(default=None, max_length=32)
    queue_id: int | None = Field(default=None, foreign_key="queue.id", index=True)
    route_rule: str | None = Field(default=None, max_length=20)  # which rule chose the operator (routing)
    recording_id: str | None = Field(default=None, max_length=256)
    callback_id: int | None = Field(default=None, foreign_key="callback.id")
    # The contact's open deal and its stage when the call came: a snapshot later moves do not rewrite.
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    deal_stage_id: int | None = Field(default=None, foreign_key="stage.id")
    started_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What the PBX's final event said, kept so late leg events cannot override it.
    final_direction: str | None = Field(default=None, max_length=16)
    final_answered: bool | None = None  # None: the PBX left it to the legs (generic protocol)
    final_received: bool = False
    finalized_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finalized_by: str | None = Field(default=None, max_length=16)  # pbx, sweep or history
    # Set when reconciliation with the PBX's call history created or completed the call.
    recovered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Zadarma signs few fields: a call its call history does not know may be a forged webhook.
    unconfirmed: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    last_event_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)  # our clock
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CallLeg(SQLModel, table=True):
    """One leg of a call: the IVR, the queue, each operator's phone that rang, the client's phone."""

    __tablename__ = "call_leg"
    __table_args__ = (UniqueConstraint("call_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id")
    external_id: str = Field(max_length=128)
    kind: str = Field(max_length=16)
    state: str = Field(max_length=16)
    seq: int | None = None
    extension: str | None = Field(default=None, max_length=32)
    group_number: str | None = Field(default=None, max_length=32)
    client_number: str | None = Field(default=None, max_length=128)
    line_number: str | None = Field(default=None, max_length=128)
    command_id: str | None = Field(default=None, max_length=128)
    end_reason: str | None = Field(default=None, max_length=40)
    end_code: str | None = Field(default=None, max_length=16)
    appeared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    connected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The last step this leg drove in the operator's state (ringing, talking, ended, missed).
    dispatch_step: str | None = Field(default=None, max_length=16)


class CallTransition(SQLModel, table=True):
    """The call's timeline: every change with the time it happened, so history can be replayed."""

    __tablename__ = "call_transition"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)  # when it happened (PBX clock)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    kind: str = Field(max_length=40)
    detail: dict = Field(default_factory=EMPTY_DICT, sa_column=Column(JSON, nullable=False))


class CallDisposition(SQLModel, table=True):
    """What the operator wrote after a call: a note and the next step."""

    __tablename__ = "call_disposition"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id", index=True)
    operator_id: int = Field(foreign_key="user.id")
    note: str | None = Field(default=None, max_length=4000)
    next_step: str | None = Field(default=None, max_length=500)
    next_step_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
