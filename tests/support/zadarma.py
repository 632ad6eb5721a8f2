"""Signed Zadarma notifications, shaped like the sample files."""

from telephony.zadarma import webhooks as zadarma
from tests.support.app import ZADARMA_SECRET

CALL_START = "2025-06-15 18:06:40"


def notify(event: str, call: str, **fields) -> dict:
    """A signed Zadarma request item, shaped like the sample files."""
    form = {"event": event, "call_start": CALL_START, "pbx_call_id": call, **fields}
    return {"path": "/pbx/zadarma", "body": form, "headers": {"Signature": zadarma.sign(ZADARMA_SECRET, form)}}


def inbound(call: str, caller: str = "79001234567", did: str = "74951234567") -> dict:
    return {"caller_id": caller, "called_did": did}
