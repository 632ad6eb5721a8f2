"""Signed events of the generic protocol."""

import json

from telephony import generic
from tests.support.app import GENERIC_SECRET


async def send(cf, payload: dict, *, secret: str = GENERIC_SECRET):
    return await send_with(cf.http, payload, secret=secret)


async def send_with(http, payload: dict, *, secret: str = GENERIC_SECRET):
    """``send`` through any client (a live server's, say)."""
    body = json.dumps(payload).encode()
    return await http.post(
        "/pbx/generic/events",
        content=body,
        headers={generic.SIGNATURE_HEADER: generic.sign(secret, body), "content-type": "application/json"},
    )


def call_events(call_id: str, caller: str, answered_by: str | None, *, t: int = 1760000000) -> list[dict]:
    events = [
        {"event": "incoming", "call_id": call_id, "from": caller, "to": "+74951234567", "timestamp": t, "seq": 1},
        {"event": "ringing", "call_id": call_id, "extension": "101", "timestamp": t + 2, "seq": 2},
    ]
    if answered_by:
        events += [
            {"event": "answered", "call_id": call_id, "extension": answered_by, "timestamp": t + 7, "seq": 3},
            {"event": "ended", "call_id": call_id, "reason": "caller_hung_up", "timestamp": t + 67, "seq": 4},
        ]
    else:
        events += [
            {
                "event": "ended",
                "call_id": call_id,
                "extension": "101",
                "reason": "no_answer",
                "timestamp": t + 22,
                "seq": 3,
            },
            {"event": "ended", "call_id": call_id, "reason": "queue_timeout", "timestamp": t + 60, "seq": 4},
        ]
    return events
