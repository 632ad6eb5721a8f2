"""Zadarma (and Novofon "classic") PBX call notifications: ``NOTIFY_*`` form posts to one URL.

Signature: header ``Signature`` = base64 of the hex HMAC-SHA1, keyed with the API secret, of a
few fields per event (``docs/pbx-formats.md`` §2.2) — so the other fields are
not covered, and the source address allow-list matters here.  ``NOTIFY_START`` and
``NOTIFY_IVR`` are answered with the routing decision (§2.1).
"""

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from schemas.pbx_events import (
    CallEvent,
    CallFinished,
    CallNote,
    Direction,
    EndReason,
    LegKind,
    LegState,
    LegUpdate,
    RecordingState,
    RecordingUpdate,
)
from schemas.routing import RouteAction, RouteDecision
from telephony import PayloadError
from telephony.fields import content_hash, form_fields, model_errors_as_payload_errors
from telephony.vendor import Reading, Refused

VENDOR = "zadarma"
SIGNATURE_HEADER = "Signature"
SYNC_EVENTS = ("NOTIFY_START", "NOTIFY_IVR")  # the PBX waits for our reply to these
MAX_TARGETS = 1  # ``redirect`` names one extension (or a scenario)
RECORDING_DELAY = timedelta(seconds=40)  # "download the recorded file in 40 seconds after the notification"

_SIGNED_FIELDS = {
    "NOTIFY_START": ("caller_id", "called_did", "call_start"),
    "NOTIFY_INTERNAL": ("caller_id", "called_did", "call_start"),
    "NOTIFY_IVR": ("caller_id", "called_did", "call_start"),
    "NOTIFY_END": ("caller_id", "called_did", "call_start"),
    "NOTIFY_ANSWER": ("caller_id", "destination", "call_start"),
    "NOTIFY_OUT_START": ("internal", "destination", "call_start"),
    "NOTIFY_OUT_END": ("internal", "destination", "call_start"),
    "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
}
EVENTS = tuple(_SIGNED_FIELDS)
DISPOSITIONS = {
    "answered": EndReason.completed,
    "cancel": EndReason.caller_hung_up,
    "no answer": EndReason.no_answer,
    "busy": EndReason.busy,
    "failed": EndReason.failed,
    "call failed": EndReason.failed,
    "unallocated number": EndReason.unavailable,
}  # the rest (no money, line limit, ...) are the account's limits: failed
_CALLER_LEG = "caller"


def check_signature(body: str, signature: str | None, *, secret: str) -> None:
    """Refused (nothing is stored) unless the form is a notification signed with ``secret``."""
    if not signature:
        raise Refused(400, f"missing {SIGNATURE_HEADER} header")
    try:
        form = parse_form(body)
    except PayloadError as exc:
        raise Refused(400, str(exc)) from None
    if not signature_valid(signature, form, secret=secret):
        raise Refused(401, f"wrong {SIGNATURE_HEADER}")


def reading(body: str, *, received_at: datetime, timezone: str) -> Reading:
    """What a stored notification says; ``NOTIFY_START``/``NOTIFY_IVR`` wait for the route."""
    form = parse_form(body)
    return Reading(
        key=dedup_key(form),
        events=parse(form, received_at=received_at, timezone=timezone),
        sent_at=sent_at(form, timezone=timezone),
        asks_route=form["event"] in SYNC_EVENTS,
    )


def parse_form(body: str) -> dict[str, str]:
    form = form_fields(body, max_fields=40)
    event = form.get("event")
    if event not in _SIGNED_FIELDS:
        raise PayloadError(f"unknown event {event!r}; expected one of {', '.join(EVENTS)}")
    return form


def sign(secret: str, form: dict[str, str]) -> str:
    message = "".join(form.get(name, "") for name in _SIGNED_FIELDS[form["event"]])
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def signature_valid(header: str, form: dict[str, str], *, secret: str) -> bool:
    return hmac.compare_digest(header.strip().encode(), sign(secret, form).encode())


def dedup_key(form: dict[str, str]) -> str:
    """Event and call, plus the whole content: each extension rung, each IVR step is its own event."""
    return f"{form['event']}:{form.get('pbx_call_id', '')}:{content_hash(form)}"


def parse(form: dict[str, str], *, received_at: datetime, timezone: str) -> list[CallEvent]:
    """Normalized events; ``call_start`` is the account's local time without an offset (``timezone``)."""
    with model_errors_as_payload_errors():
        return _parse(form, received_at=received_at, tz=ZoneInfo(timezone))


def _parse(form: dict[str, str], *, received_at: datetime, tz: ZoneInfo) -> list[CallEvent]:
    if any("\x00" in value for value in form.values()):
        raise PayloadError("a form field contains a NUL character")
    event = form["event"]
    call_key = _required(form, "pbx_call_id")
    outbound = call_key.startswith("out_") or event.startswith("NOTIFY_OUT")
    common = {"call_key": call_key, "occurred_at": received_at}
    if event == "NOTIFY_RECORD":
        # Signed (``pbx_call_id . call_id_with_rec``), unlike NOTIFY_END's copy: only this attaches a
        # recording.  Zadarma advises fetching it 40 s after the notice.
        return [
            RecordingUpdate(
                **common,
                recording_id=_required(form, "call_id_with_rec"),
                state=RecordingState.playable,
                ready_at=received_at + RECORDING_DELAY,
            )
        ]
    started = _call_start(form, tz)
    caller = {"client_number": form.get("caller_id") or None, "line_number": form.get("called_did") or None}
    internal = form.get("internal") or None
    if event in ("NOTIFY_START", "NOTIFY_IVR"):
        common["occurred_at"] = started
        arrived = LegUpdate(**common, leg_key=_CALLER_LEG, state=LegState.appeared, kind=LegKind.ivr, **caller)
        if event == "NOTIFY_START":
            return [arrived]
        choice = {key: form.get(f"wait_dtmf[{key}]") for key in ("name", "digits", "default_behaviour")}
        return [arrived, CallNote(**common, kind="ivr_input", detail=choice)]
    if event == "NOTIFY_INTERNAL":
        return [_operator_leg(common, _required(form, "internal"), LegState.appeared, caller)]
    if event == "NOTIFY_OUT_START":
        return [_client_leg(common, form, LegState.appeared, extension=_required(form, "internal"))]
    if event == "NOTIFY_ANSWER":
        if outbound:
            return [_client_leg(common, form, LegState.connected, extension=internal)]
        return [_operator_leg(common, internal or _required(form, "destination"), LegState.connected, caller)]
    reason = DISPOSITIONS.get(form.get("disposition", ""), EndReason.failed)
    finished = CallFinished(
        **common,
        direction=Direction.outbound if outbound else Direction.inbound,
        client_number=form.get("destination") if outbound else caller["client_number"],
        line_number=form.get("caller_id") if outbound else caller["line_number"],
        extension=form.get("last_internal") or internal,
        started_at=started,
        answered=form.get("disposition") == "answered",
        end_reason=reason,
        end_code=form.get("status_code") or None,
    )
    if outbound:
        return [_client_leg(common, form, LegState.disconnected, extension=internal, end_reason=reason), finished]
    ended = [
        LegUpdate(
            **common, leg_key=_CALLER_LEG, state=LegState.disconnected, kind=LegKind.ivr, **caller, end_reason=reason
        )
    ]
    if internal:
        ended.append(_operator_leg(common, internal, LegState.disconnected, caller, end_reason=reason))
    return [*ended, finished]


def reply(decision: RouteDecision) -> str:
    """The body answering ``NOTIFY_START``/``NOTIFY_IVR``: empty lets the PBX's own scenario go on."""
    body: dict = {}
    if decision.action == RouteAction.ring and decision.targets:
        if len(decision.targets) > 1 and decision.pbx_group:
            body = {"redirect": decision.pbx_group}
        else:
            body = {"redirect": decision.targets[0].extension, "return_timeout": decision.timeout_seconds or 0}
    elif decision.action == RouteAction.wait and decision.pbx_group:
        body = {"redirect": decision.pbx_group}
    if decision.caller_name:
        body["caller_name"] = decision.caller_name
    return json.dumps(body, ensure_ascii=False) if body else ""


def _operator_leg(common: dict, extension: str, state: LegState, caller: dict, end_reason=None) -> LegUpdate:
    return LegUpdate(
        **common,
        leg_key=f"ext:{extension}",
        state=state,
        kind=LegKind.operator,
        extension=extension,
        end_reason=end_reason if state == LegState.disconnected else None,
        **caller,
    )


def _client_leg(common: dict, form: dict, state: LegState, *, extension: str | None, end_reason=None) -> LegUpdate:
    return LegUpdate(
        **common,
        leg_key="client",
        state=state,
        kind=LegKind.external,
        extension=extension,
        client_number=form.get("destination") or None,
        line_number=form.get("caller_id") or None,
        end_reason=end_reason,
    )


def sent_at(form: dict[str, str], *, timezone: str) -> datetime | None:
    """The call's start, which Zadarma signs on every call event (``NOTIFY_RECORD`` has none)."""
    return _call_start(form, ZoneInfo(timezone)) if form.get("call_start") else None


def _call_start(form: dict[str, str], tz: ZoneInfo) -> datetime:
    value = _required(form, "call_start")
    try:
        return local_moment(value, tz)
    except ValueError:
        raise PayloadError(f"call_start {value!r} is not YYYY-MM-DD HH:MM:SS") from None


def local_moment(value: str, tz: ZoneInfo) -> datetime:
    """Zadarma's ``YYYY-MM-DD HH:MM:SS`` in the account's time zone, as UTC (ValueError if it is not
    one).  As Zadarma writes it, zero-padded, it is read by ``fromisoformat`` (~3 µs against
    ``strptime``'s ~11, pure Python): every call event's start is read twice, at the intake."""
    if _PADDED_LOCAL.fullmatch(value):
        moment = datetime.fromisoformat(value)
    else:
        moment = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    return moment.replace(tzinfo=tz).astimezone(UTC)


_PADDED_LOCAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def _required(form: dict[str, str], key: str) -> str:
    value = form.get(key)
    if not value:
        raise PayloadError(f"missing {key}")
    if len(value) > 128:
        raise PayloadError(f"{key} is longer than 128 characters")
    return value
