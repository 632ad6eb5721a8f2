"""Websocket frames of ``/ws/operator`` and ``/ws/supervisor``: one tagged union per direction.

Every frame is a JSON object ``{"type": ..., "v": 1, ...}``.  Server events carry the ``seq`` they
were committed with; client frames carry an ``id`` that the ``ack`` or ``error`` answering them echoes.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from schemas.common import AwareMoment, Id

VERSION = 1
ClientId = Annotated[str, Field(min_length=1, max_length=64)]


class ClientFrame(BaseModel):
    model_config = ConfigDict(extra="forbid")

    v: Literal[1] = 1
    id: ClientId


class SetState(ClientFrame):
    type: Literal["set_state"]
    state: Literal["available", "break", "offline"]


class Accept(ClientFrame):
    type: Literal["accept"]
    offer_id: Id


class Reject(ClientFrame):
    type: Literal["reject"]
    offer_id: Id


class WrapUpDone(ClientFrame):
    type: Literal["wrap_up_done"]


class Disposition(ClientFrame):
    """After a call: what was said and what comes next."""

    type: Literal["disposition"]
    call_id: Id
    note: str | None = Field(default=None, max_length=4000)
    next_step: str | None = Field(default=None, max_length=500)
    next_step_at: AwareMoment | None = None
    stage_id: Id | None = None  # move the call's deal to this stage
    refusal_reason_id: Id | None = None  # or lose it, with this reason
    do_not_call: bool = False  # the client asked not to be called again


class Ping(ClientFrame):
    type: Literal["ping"]


OperatorClientFrame = TypeAdapter(
    Annotated[SetState | Accept | Reject | WrapUpDone | Disposition | Ping, Field(discriminator="type")]
)
SupervisorClientFrame = TypeAdapter(Annotated[Ping, Field(discriminator="type")])


# --- server → client ---------------------------------------------------------------------------


class ServerFrame(BaseModel):
    model_config = ConfigDict(extra="forbid")

    v: Literal[1] = 1
    seq: int | None = None  # the event's number; on a snapshot, the last event it includes
    at: datetime | None = None


class Ack(ServerFrame):
    type: Literal["ack"]
    id: str
    result: dict | None = None


class Error(ServerFrame):
    type: Literal["error"]
    id: str | None  # the client frame's id, when it could be read
    code: str  # invalid_frame, unknown_type, too_large, rate_limited, conflict, forbidden, not_found
    reason: str


class Pong(ServerFrame):
    type: Literal["pong"]
    id: str


class NamedRef(BaseModel):
    id: int
    name: str


class ContactCard(BaseModel):
    id: int
    phone: str
    name: str | None
    company: str | None
    owner: NamedRef | None
    vip: bool


class RecentCall(BaseModel):
    call_id: int
    started_at: datetime
    direction: str
    outcome: str | None
    operator: str | None
    recorded: bool = False  # it has a recording (whether this operator may listen is asked on playing)


class OpenCallback(BaseModel):
    callback_id: int
    phone: str | None
    contact_id: int | None
    status: str
    reason: str
    missed_count: int
    due_at: datetime
    assignee_id: int | None
    attempts: int
    result: str | None
    overdue: bool


class CallerCard(BaseModel):
    """What the operator sees while the phone rings."""

    number: str | None
    contact: ContactCard | None
    deal: dict | None  # the open deal: id, pipeline, pipeline_id, stage, stage_id, status, amount, touch_count
    recent_calls: list[RecentCall]  # the last 5, newest first
    open_callbacks: list[OpenCallback]


class Offer(ServerFrame):
    type: Literal["offer"]
    offer_id: int
    call_id: int
    queue: NamedRef
    entered_at: datetime
    expires_at: datetime
    rule: str  # why this operator: owner, recent, round_robin, ring_all, skills
    waited_seconds: float | None = None
    card: CallerCard | None = None


class OfferRevoked(ServerFrame):
    type: Literal["offer_revoked"]
    offer_id: int
    call_id: int
    status: Literal["revoked", "no_answer"]
    reason: str  # taken_by_other, caller_hung_up, expired, operator_left, panel_lost, queue_timeout, ...


class CallUpdate(ServerFrame):
    type: Literal["call_update"]
    call_id: int
    status: Literal["connected", "held", "talking", "ended"]  # talking: back from hold
    number: str | None
    outcome: str | None


class OperatorStatus(BaseModel):
    operator_id: int
    name: str
    state: str
    since: datetime
    call_id: int | None
    offer_id: int | None
    panel_connected: bool


class OperatorStateFrame(ServerFrame, OperatorStatus):
    """``state`` on the operator's own panels; ``operator_state`` on the supervisors' board."""

    type: Literal["state", "operator_state"]


class MissedCall(ServerFrame):
    type: Literal["missed_call"]
    call_id: int
    number: str | None
    contact: dict | None
    outcome: str
    reason: str
    queue: NamedRef | None
    started_at: datetime
    waited_seconds: float | None
    callback: dict | None  # {id, status, due_at}; None when the number was reached since


class CallbackUpdate(ServerFrame, OpenCallback):
    type: Literal["callback_update"]
    actions: list[str]  # what happened: created, missed_again, claimed, takeover, reached, done, overdue, ...


class QueueFigures(BaseModel):
    queue_id: int
    name: str
    waiting: int
    longest_wait_seconds: float
    answered_today: int
    missed_today: int
    service_level_today: float | None  # answered within 20 s / calls that entered and ended, today


class QueueStats(ServerFrame, QueueFigures):
    type: Literal["queue_stats"]


class OperatorSnapshot(ServerFrame):
    type: Literal["snapshot"]
    reset: bool = False  # the ``since`` asked for is older than the events kept (or unknown): start over from this
    operator: OperatorStatus
    offer: Offer | None
    call: dict | None  # the call in progress: call_id, number, state, started_at, card
    callbacks: list[OpenCallback]


class SupervisorSnapshot(ServerFrame):
    type: Literal["snapshot"]
    reset: bool  # the ``since`` asked for is older than the events kept (or unknown): start over from this
    callbacks: list[OpenCallback]
    operators: list[OperatorStatus]
    queues: list[QueueFigures]


OperatorServerFrame = TypeAdapter(
    Annotated[
        Ack | Error | Pong | Offer | OfferRevoked | CallUpdate | OperatorStateFrame | OperatorSnapshot,
        Field(discriminator="type"),
    ]
)
SupervisorServerFrame = TypeAdapter(
    Annotated[
        Ack | Error | Pong | MissedCall | CallbackUpdate | OperatorStateFrame | QueueStats | SupervisorSnapshot,
        Field(discriminator="type"),
    ]
)
