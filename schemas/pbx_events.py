"""Normalized call events: what every vendor adapter in ``telephony/`` produces.

Nothing past ``telephony/`` sees a vendor's field names; the call lifecycle in
``app/calls`` speaks only these models.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field


class Direction(StrEnum):
    inbound = "inbound"
    outbound = "outbound"
    internal = "internal"


class LegState(StrEnum):
    appeared = "appeared"  # ringing or dialling
    connected = "connected"
    on_hold = "on_hold"
    disconnected = "disconnected"


class LegKind(StrEnum):
    ivr = "ivr"  # voice menu
    queue = "queue"  # waiting for a free operator
    operator = "operator"  # one of our operators rings or talks with the client
    external = "external"  # the client's phone dialled from our side
    initiator = "initiator"  # click-to-call: the PBX rings our operator before dialling the client


class EndReason(StrEnum):
    completed = "completed"
    caller_hung_up = "caller_hung_up"
    callee_hung_up = "callee_hung_up"
    no_answer = "no_answer"
    busy = "busy"
    rejected = "rejected"
    unavailable = "unavailable"
    blocked = "blocked"
    queueing_disabled = "queueing_disabled"
    queue_full = "queue_full"
    queue_timeout = "queue_timeout"
    no_operators = "no_operators"
    after_hours = "after_hours"
    ended_by_scheme = "ended_by_scheme"
    ended_by_command = "ended_by_command"
    failed = "failed"


class _CallEvent(BaseModel):
    call_key: str = Field(min_length=1, max_length=128)
    occurred_at: datetime


class LegUpdate(_CallEvent):
    """One leg of a call changed state (an IVR, a queue, an operator's phone, the client's phone)."""

    type: Literal["leg"] = "leg"
    leg_key: str = Field(min_length=1, max_length=128)
    seq: int | None = None  # the vendor's per-leg counter; a stale one does not move the state back
    state: LegState
    kind: LegKind
    extension: str | None = None
    group: str | None = None
    client_number: str | None = None  # raw, as the PBX sent it
    line_number: str | None = None
    end_reason: EndReason | None = None
    end_code: str | None = None
    command_id: str | None = None


class CallFinished(_CallEvent):
    """The PBX's final word on a call (MANGO summary, generic ``ended``)."""

    type: Literal["finished"] = "finished"
    direction: Direction | None = None
    client_number: str | None = None
    line_number: str | None = None
    extension: str | None = None
    started_at: datetime | None = None
    answered_at: datetime | None = None
    answered: bool | None = None  # None: judge from the legs seen
    end_reason: EndReason | None = None
    end_code: str | None = None


class RecordingState(StrEnum):
    """Where a recording is, as far as the PBX has said."""

    recording = "recording"  # still being recorded
    processing = "processing"  # finished, on its way to the PBX's storage
    playable = "playable"  # in the PBX's storage (from ``ready_at``, when the vendor says to wait)
    not_stored = "not_stored"  # nothing will be in the PBX's storage (an error, or sent by mail only)


class RecordingUpdate(_CallEvent):
    """A recording of the call: the vendor's id for it (opaque; one call may have several), and,
    for a vendor that gives a link instead (Sipuni, generic), ``url`` — a secret, never shown."""

    type: Literal["recording"] = "recording"
    recording_id: str = Field(min_length=1, max_length=256)
    state: RecordingState
    extension: str | None = None  # who was recorded, where the vendor says
    url: str | None = Field(default=None, max_length=2048)
    ready_at: datetime | None = None  # playable only from then (Zadarma: 40 s after its notice)


class CallNote(_CallEvent):
    """Something worth keeping on the call's timeline that changes no state (e.g. DTMF digits)."""

    type: Literal["note"] = "note"
    kind: str
    detail: dict


CallEvent = Annotated[LegUpdate | CallFinished | RecordingUpdate | CallNote, Field(discriminator="type")]


class CommandResult(BaseModel):
    """The PBX's answer to a command we sent (MANGO ``/result/<command>``), matched by ``command_id``."""

    type: Literal["command_result"] = "command_result"
    command_id: str = Field(min_length=1, max_length=128)
    result: str  # the vendor's code, kept as sent
    ok: bool
    blocks_key: bool = False  # a refusal the PBX counts against the key (MANGO 3xxx): pause its commands
    occurred_at: datetime
