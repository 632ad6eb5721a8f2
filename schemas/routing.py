"""What callfunnel tells a PBX that asks, in a webhook, where to send a call (``sync`` queues).

Vendor adapters in ``telephony/`` turn it into their own reply format.
"""

from enum import StrEnum

from pydantic import BaseModel


class RouteAction(StrEnum):
    ring = "ring"  # ring these extensions now
    wait = "wait"  # nobody free yet: keep the caller waiting and ask again
    reject = "reject"  # the queue will not take the call (see reason): the PBX's own fallback plays
    proceed = "proceed"  # callfunnel has no say (no queue, or the queue is observed): the PBX's plan stands


class RouteTarget(BaseModel):
    extension: str
    offer_id: int


class RouteDecision(BaseModel):
    action: RouteAction
    targets: list[RouteTarget] = []
    timeout_seconds: int | None = None
    reason: str | None = None
    pbx_group: str | None = None  # the PBX's own group to hand over to, when the queue names one
    caller_name: str | None = None  # from the CRM card, for the operator's phone display
