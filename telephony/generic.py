"""callfunnel's own signed JSON webhook protocol, for any PBX (Asterisk dialplan, FreeSWITCH script, ...).

One JSON object per request, signed with HMAC-SHA256 of the raw body (the README documents it
for PBX administrators).  Each event names the call (``call_id``); an operator's phone is
named by its ``extension``.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from schemas.pbx_events import (
    CallEvent,
    CallFinished,
    EndReason,
    LegKind,
    LegState,
    LegUpdate,
    RecordingState,
    RecordingUpdate,
)
from schemas.routing import RouteAction, RouteDecision
from telephony import PayloadError
from telephony.fields import MAX_SEQ, content_hash, json_object, model_errors_as_payload_errors, text
from telephony.recordings import LinkSource, host_in
from telephony.vendor import Answer, Endpoint, Incoming, Reading, Refused, Routing, Vendor, Webhook

VENDOR = "generic"
SIGNATURE_HEADER = "X-Callfunnel-Signature"
EVENTS = ("incoming", "waiting", "outgoing", "ringing", "answered", "hold", "unhold", "ended", "recording")
SYNC_EVENTS = ("incoming", "waiting")  # answered with the routing decision
RETRY_AFTER_SECONDS = 3  # how soon a PBX told to ``wait`` should ask again

_CALLER_LEG = "caller"  # the client waiting in the PBX (inbound) or being dialled (outbound)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(header: str, body: bytes, *, secret: str) -> bool:
    return hmac.compare_digest(header.strip().encode(), sign(secret, body).encode())


def load_payload(body: bytes) -> dict[str, Any]:
    return json_object(body, what="body")


def dedup_key(payload: dict[str, Any]) -> str:
    """``event_id`` when the PBX gives one, else the canonical content: a redelivery is a no-op."""
    if payload.get("event_id") not in (None, ""):
        return f"id:{_text(payload, 'event_id')}"
    return f"sha256:{content_hash(payload)}"


def parse(payload: dict[str, Any], *, received_at: datetime) -> list[CallEvent]:
    with model_errors_as_payload_errors():
        return _parse(payload, received_at=received_at)


def _parse(payload: dict[str, Any], *, received_at: datetime) -> list[CallEvent]:
    event = _text(payload, "event", required=True)
    if event not in EVENTS:
        raise PayloadError(f"unknown event {event!r}; expected one of {', '.join(EVENTS)}")
    common = {
        "call_key": _text(payload, "call_id", required=True),
        "occurred_at": _timestamp(payload, received_at),
    }
    seq = _seq(payload)
    extension = _text(payload, "extension")
    reason = _reason(payload)
    if event in ("incoming", "outgoing"):  # the client's own leg: waiting for us, or being dialled by us
        inbound = event == "incoming"
        return [
            LegUpdate(
                **common,
                leg_key=_CALLER_LEG,
                seq=seq,
                state=LegState.appeared,
                kind=LegKind.queue if inbound else LegKind.external,
                client_number=_text(payload, "from" if inbound else "to"),
                line_number=_text(payload, "to" if inbound else "line"),
                extension=None if inbound else extension,
            )
        ]
    if event == "waiting":  # the PBX asks again for a caller it holds
        return [LegUpdate(**common, leg_key=_CALLER_LEG, seq=seq, state=LegState.appeared, kind=LegKind.queue)]
    if event == "recording":
        url = text(payload, "recording", required=True)
        if len(url) > 2048 or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise PayloadError("recording must be an http(s) URL of at most 2048 characters")
        return [
            RecordingUpdate(
                **common,
                recording_id=hashlib.sha256(url.encode()).hexdigest()[:32],  # the URL itself is a secret
                state=RecordingState.playable,
                extension=extension,
                url=url,
            )
        ]
    if event == "ended" and extension is None:
        return [CallFinished(**common, end_reason=reason or EndReason.completed, end_code=_text(payload, "reason"))]
    if extension is None:
        raise PayloadError(f"{event} needs the operator's extension")
    state = {
        "ringing": LegState.appeared,
        "answered": LegState.connected,
        "hold": LegState.on_hold,
        "unhold": LegState.connected,
        "ended": LegState.disconnected,
    }[event]
    return [
        LegUpdate(
            **common,
            leg_key=f"ext:{extension}",
            seq=seq,
            state=state,
            kind=LegKind.operator,
            extension=extension,
            end_reason=reason if event == "ended" else None,
        )
    ]


def reply(decision: RouteDecision) -> str:
    """The ``route`` object answering ``incoming``/``waiting`` (README, "Generic PBX protocol")."""
    route: dict[str, Any] = {"action": decision.action.value}
    if decision.action == RouteAction.ring:
        route["targets"] = [{"extension": t.extension, "offer_id": t.offer_id} for t in decision.targets]
        route["timeout"] = decision.timeout_seconds
    elif decision.action == RouteAction.wait:
        route["retry_after"] = RETRY_AFTER_SECONDS
    elif decision.action == RouteAction.reject:
        route["reason"] = decision.reason
    if decision.pbx_group:
        route["group"] = decision.pbx_group
    if decision.caller_name:
        route["caller_name"] = decision.caller_name
    return json.dumps(route, ensure_ascii=False, separators=(",", ":"))


def _reason(payload: dict[str, Any]) -> EndReason | None:
    value = _text(payload, "reason")
    if value is None:
        return None
    try:
        return EndReason(value)
    except ValueError:
        raise PayloadError(
            f"unknown reason {value!r}; expected one of {', '.join(r.value for r in EndReason)}"
        ) from None


def sent_at(payload: dict[str, Any]) -> datetime | None:
    """The PBX's own ``timestamp``; None without one (the event is then dated when received)."""
    return _timestamp(payload, received_at=None) if payload.get("timestamp") is not None else None


def _seq(payload: dict[str, Any]) -> int | None:
    value = payload.get("seq")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError("seq must be an integer")
    if not 0 <= value <= MAX_SEQ:
        raise PayloadError(f"seq must be from 0 to {MAX_SEQ}")
    return value


def _timestamp(payload: dict[str, Any], received_at: datetime) -> datetime:
    value = payload.get("timestamp")
    if value is None:
        return received_at
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise PayloadError("timestamp must be Unix seconds or ISO 8601 with a UTC offset")


def _text(payload: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = text(payload, key, required=required)
    if value is not None and len(value) > 128:
        raise PayloadError(f"{key} is longer than 128 characters")
    return value


_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["event", "call_id"],
                    "properties": {"event": {"type": "string", "enum": list(EVENTS)}, "call_id": {"type": "string"}},
                }
            }
        },
    }
}


class Generic(Vendor):
    """callfunnel's own protocol at the seam: ``incoming`` and ``waiting`` wait for the route."""

    name = VENDOR
    title = "the generic protocol"
    endpoints = (
        Endpoint(
            "events",
            "/pbx/generic/events",
            ("POST",),
            'callfunnel\'s own protocol (README, "Generic PBX protocol"), signed in the X-Callfunnel-Signature header.',
            _BODY,
        ),
    )
    routing = Routing.reply
    asks_again = True

    def configured(self) -> bool:
        return bool(self.settings.generic_secret)

    def unconfigured_reason(self) -> str:
        return "generic PBX webhooks are not configured (CALLFUNNEL_GENERIC_SECRET)"

    def verify(self, request: Incoming) -> Webhook:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            raise Refused(400, f"missing {SIGNATURE_HEADER} header")
        if not signature_valid(signature, request.body.encode(), secret=self.settings.generic_secret):
            raise Refused(401, f"wrong {SIGNATURE_HEADER}")
        return Webhook("events", request.body)

    def read(self, webhook: Webhook, *, received_at: datetime) -> Reading:
        payload = load_payload(webhook.body.encode())
        return Reading(
            key=dedup_key(payload),
            events=parse(payload, received_at=received_at),
            sent_at=sent_at(payload),
            asks_route=payload.get("event") in SYNC_EVENTS,
        )

    def render_route(self, decision: RouteDecision) -> str:
        return reply(decision)

    def routed(self, *, inbox_id: int, duplicate: bool, reply: str) -> Answer:
        status = "duplicate" if duplicate else "accepted"
        return Answer.json({"status": status, "inbox_id": inbox_id, "route": json.loads(reply)})

    def recording_source(self, transport: httpx.AsyncBaseTransport | None) -> LinkSource | None:
        """Links only to hosts in GENERIC_RECORDING_HOSTS (none by default), redirects included."""
        if not self.configured():
            return None
        allowed = host_in(self.settings.generic_recording_hosts)
        return LinkSource(allowed=allowed, timeout=self.settings.pbx_request_timeout_seconds, transport=transport)
