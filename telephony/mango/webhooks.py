"""MANGO OFFICE VPBX API: signed form webhooks (``vpbx_api_key``, ``sign``, ``json``).

Formats: docs/pbx-formats.md §1.  Every leg of a call (IVR, queue, each
operator rung) has its own ``call_id``; ``entry_id`` ties them into one call.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from schemas.pbx_events import (
    CallEvent,
    CallFinished,
    CallNote,
    CommandResult,
    Direction,
    EndReason,
    LegKind,
    LegState,
    LegUpdate,
    RecordingState,
    RecordingUpdate,
)
from telephony import PayloadError
from telephony.fields import MAX_INT, MAX_SEQ, content_hash, form_fields, json_object, model_errors_as_payload_errors
from telephony.fields import text as _text
from telephony.vendor import Reading, Refused

VENDOR = "mango"
FORM_FIELDS = ("vpbx_api_key", "sign", "json")

_STATES = {
    "Appeared": LegState.appeared,
    "Connected": LegState.connected,
    "OnHold": LegState.on_hold,
    "Disconnected": LegState.disconnected,
}
_DIRECTIONS = {0: Direction.internal, 1: Direction.inbound, 2: Direction.outbound}

RESULT_OK = 1000  # a command's result: done
# Result codes (§1.11).  Unknown codes are read by class: 1163 -> 1160 -> 1100 -> 1000.
_CODES: dict[int, EndReason] = {
    1000: EndReason.completed,
    1100: EndReason.completed,
    1110: EndReason.caller_hung_up,
    1111: EndReason.no_answer,
    1120: EndReason.callee_hung_up,
    1121: EndReason.busy,
    1122: EndReason.rejected,
    1123: EndReason.unavailable,
    1124: EndReason.unavailable,
    1130: EndReason.unavailable,
    1140: EndReason.blocked,
    1150: EndReason.blocked,
    1160: EndReason.no_operators,
    1161: EndReason.queueing_disabled,
    1162: EndReason.queue_full,
    1163: EndReason.queue_timeout,
    1164: EndReason.no_operators,
    1170: EndReason.ended_by_scheme,
    1180: EndReason.ended_by_command,
    1190: EndReason.unavailable,
    1192: EndReason.after_hours,
    1193: EndReason.busy,
}


def check_signature(body: str, *, api_key: str, salt: str) -> None:
    """Refused (nothing is stored) unless the form carries our key and a valid ``sign``."""
    try:
        form = parse_form(body)
    except PayloadError as exc:
        raise Refused(400, str(exc)) from None
    if not signature_valid(form, api_key=api_key, salt=salt):
        raise Refused(401, "wrong vpbx_api_key or sign")


def reading(path: str, body: str) -> Reading:
    """What a stored notification says (MANGO waits for no reply: routing is by command)."""
    payload = load_payload(parse_form(body)["json"])
    return Reading(key=dedup_key(path, payload), events=parse(path, payload), sent_at=sent_at(payload))


def parse_form(body: str) -> dict[str, str]:
    """The three form fields; raises PayloadError for anything else (nothing is stored then)."""
    form = form_fields(body, max_fields=20)
    missing = [name for name in FORM_FIELDS if not form.get(name)]
    if missing:
        raise PayloadError(f"form is missing {', '.join(missing)}")
    return form


def sign(api_key: str, salt: str, json_text: str) -> str:
    return hashlib.sha256((api_key + json_text + salt).encode()).hexdigest()


def signed_form(api_key: str, salt: str, payload: dict[str, Any]) -> dict[str, str]:
    """The form MANGO exchanges in both directions, with compact JSON as the docs require."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return {"vpbx_api_key": api_key, "sign": sign(api_key, salt, text), "json": text}


def signature_valid(form: dict[str, str], *, api_key: str, salt: str) -> bool:
    """Checks the key and ``sha256(key + json + salt)`` over the raw ``json`` string, in constant time."""
    key_ok = hmac.compare_digest(form["vpbx_api_key"].encode(), api_key.encode())
    sign_ok = hmac.compare_digest(form["sign"].strip().lower().encode(), sign(api_key, salt, form["json"]).encode())
    return key_ok and sign_ok


def load_payload(json_text: str) -> dict[str, Any]:
    return json_object(json_text, what="json field")


def kind_of(path: str, payload: dict[str, Any]) -> str | None:
    """Which notification this is, read from its fields first: the signature does not cover the URL
    path, so the same signed body is the same notification whatever path it was posted to.  Only
    a body whose fields say nothing is taken for what its path says (and refused if it is not)."""
    if "call_state" in payload:
        return "events/call"
    if "entry_result" in payload:
        return "events/summary"
    if "recording_state" in payload:
        return "events/recording"
    if "recording_id" in payload and ("user_id" in payload or "product_id" in payload):
        return "events/record/added"
    if "dtmf" in payload:
        return "events/dtmf"
    if "result" in payload and payload.get("command_id") is not None:
        return "result"
    return path if path in _KINDS else None


_KINDS = ("events/call", "events/summary", "events/recording", "events/record/added", "events/dtmf")


def dedup_key(path: str, payload: dict[str, Any]) -> str:
    """What makes one notification unique: a redelivery has the same key, whatever its path."""
    match kind_of(path, payload):
        case "events/call":
            return f"call:{_text(payload, 'call_id', required=True)}:{_seq(payload)}"
        case "events/summary":
            return f"summary:{_text(payload, 'entry_id', required=True)}"
        case "events/recording":
            recording = _text(payload, "recording_id", required=True)
            return f"recording:{recording}:{_text(payload, 'recording_state', required=True)}"
        case "events/record/added":
            return f"record_added:{_text(payload, 'recording_id', required=True)}"
        case "result":
            return f"result:{_text(payload, 'command_id')}"
    return f"content:{content_hash(payload)}"


MILLISECONDS_FROM = 100_000_000_000  # a Unix time in seconds this large is the year 5138


def sent_at(payload: dict[str, Any]) -> datetime | None:
    """The moment MANGO dated the notification (``timestamp``; a summary's ``end_time``), if it did.
    Contact-centre notifications count in milliseconds."""
    for key in ("timestamp", "end_time"):
        seconds = _int(payload, key)
        if seconds:
            return _epoch(seconds // 1000 if seconds > MILLISECONDS_FROM else seconds)
    return None


def parse(path: str, payload: dict[str, Any]) -> list[CallEvent | CommandResult]:
    """The normalized events in one notification; notifications about no call give none."""
    with model_errors_as_payload_errors():
        return _parse(path, payload)


def _parse(path: str, payload: dict[str, Any]) -> list[CallEvent | CommandResult]:
    match kind_of(path, payload):
        case "result":
            code = _int(payload, "result")
            return [
                CommandResult(
                    command_id=_text(payload, "command_id"),
                    result=str(code),
                    ok=code == RESULT_OK,
                    blocks_key=3000 <= code < 4000,
                    occurred_at=datetime.now(UTC),
                )
            ]
        case "events/call":
            return [_leg_update(payload)]
        case "events/summary":
            return [_summary(payload)]
        case "events/recording" | "events/record/added" as kind:
            return [_recording(kind, payload)]
        case "events/dtmf":
            return [
                CallNote(
                    call_key=_text(payload, "entry_id", required=True),
                    occurred_at=_time(payload, "timestamp"),
                    kind="dtmf",
                    detail={"digits": _text(payload, "dtmf"), "location": _text(payload, "location")},
                )
            ]
    return []


def end_reason(code: int | None) -> EndReason | None:
    if code is None:
        return None
    for candidate in (code, code // 10 * 10, code // 100 * 100):
        if candidate in _CODES:
            return _CODES[candidate]
    return EndReason.failed


def _leg_update(p: dict[str, Any]) -> LegUpdate:
    state_name = _text(p, "call_state", required=True)
    if state_name not in _STATES:
        raise PayloadError(f"unknown call_state {state_name!r}")
    caller, callee = _obj(p, "from"), _obj(p, "to")
    code = _int(p, "disconnect_reason")
    return LegUpdate(
        call_key=_text(p, "entry_id", required=True),
        leg_key=_text(p, "call_id", required=True),
        seq=_seq(p),
        occurred_at=_time(p, "timestamp"),
        state=_STATES[state_name],
        kind=_leg_kind(p, caller, callee),
        extension=_text(callee, "extension") or _text(caller, "extension"),
        group=_text(callee, "acd_group"),
        client_number=_client_number(caller, callee),
        line_number=_text(callee, "line_number"),
        end_reason=end_reason(code) if state_name == "Disconnected" else None,
        end_code=str(code) if code is not None else None,
        command_id=_text(p, "command_id"),
    )


def _leg_kind(p: dict[str, Any], caller: dict, callee: dict) -> LegKind:
    location = _text(p, "location")
    if location == "ivr":
        return LegKind.ivr
    if location == "queue":
        return LegKind.queue
    if _text(callee, "extension") is None:
        return LegKind.external
    # A click-to-call first rings our operator, with the client in `from` (§1.10 d).
    if _text(p, "callback_initiator") and not _text(caller, "taken_from_call_id"):
        return LegKind.initiator
    return LegKind.operator


def _client_number(caller: dict, callee: dict) -> str | None:
    """The party that is not one of our employees; None on an operator-to-operator leg."""
    if _text(caller, "extension") is None:
        return _text(caller, "number")
    if _text(callee, "extension") is None:
        return _text(callee, "number")
    return None


def _summary(p: dict[str, Any]) -> CallFinished:
    direction_code = _int(p, "call_direction")
    direction = _DIRECTIONS.get(direction_code) if direction_code is not None else None
    caller, callee = _obj(p, "from"), _obj(p, "to")
    talk_time = _int(p, "talk_time") or 0
    answered = _int(p, "entry_result") == 1 and talk_time > 0
    code = _int(p, "disconnect_reason")
    if direction == Direction.outbound:
        client, extension = _text(callee, "number"), _text(caller, "extension")
    elif direction == Direction.inbound:
        client, extension = _text(caller, "number"), _text(callee, "extension")
    else:
        client, extension = None, _text(caller, "extension")
    return CallFinished(
        call_key=_text(p, "entry_id", required=True),
        occurred_at=_time(p, "end_time"),
        direction=direction,
        client_number=client,
        line_number=_text(p, "line_number"),
        extension=extension,
        started_at=_time(p, "create_time") if _int(p, "create_time") else None,
        answered_at=_epoch(talk_time) if answered else None,
        answered=answered,
        end_reason=end_reason(code),
        end_code=str(code) if code is not None else None,
    )


def _recording(kind: str, p: dict[str, Any]) -> RecordingUpdate:
    return RecordingUpdate(
        call_key=_text(p, "entry_id", required=True),
        occurred_at=_time(p, "timestamp"),
        recording_id=_text(p, "recording_id", required=True),
        state=RecordingState.playable if kind == "events/record/added" else _recording_state(p),
        extension=_text(p, "extension"),
    )


def _recording_state(p: dict[str, Any]) -> RecordingState:
    """``Completed`` goes to the cloud (then ``record/added``) unless it failed (``completion_code``
    other than 1000: 4002 too short, 22xx ...) or went only by mail (§1.6)."""
    state = _text(p, "recording_state", required=True)
    if state != "Completed":
        return RecordingState.recording
    code = _int(p, "completion_code")
    if (code is not None and code != RESULT_OK) or _text(p, "recipient") == "Mail":
        return RecordingState.not_stored
    return RecordingState.processing


# MANGO sends numbers as strings or integers and objects as `{}` or not at all (§1.14).


def _obj(p: dict[str, Any], key: str) -> dict[str, Any]:
    value = p.get(key) or {}
    if not isinstance(value, dict):
        raise PayloadError(f"{key} must be an object")
    return value


def _int(p: dict[str, Any], key: str, *, required: bool = False) -> int | None:
    value = _text(p, key, required=required)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise PayloadError(f"{key} must be an integer, got {value[:40]!r}") from None
    if not -MAX_INT <= number <= MAX_INT:
        raise PayloadError(f"{key} is out of range")
    return number


def _seq(p: dict[str, Any]) -> int:
    seq = _int(p, "seq", required=True)
    if not 0 <= seq <= MAX_SEQ:
        raise PayloadError(f"seq must be from 0 to {MAX_SEQ}")
    return seq


def _time(p: dict[str, Any], key: str) -> datetime:
    return _epoch(_int(p, key, required=True))


def _epoch(seconds: int) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise PayloadError(f"timestamp out of range: {seconds}") from None
