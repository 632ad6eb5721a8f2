"""UIS (CoMagic): HTTP notifications built from the README's templates, and interactive call
processing as a routing request the scenario waits on (``docs/pbx-formats.md`` §5).

- ``POST /pbx/uis/events?key=``: a JSON object per notification, from a template the admin
  pastes (README, "UIS"); ``event`` is ours (``call_start``, ``answered``, ``call_end``), the
  rest are UIS variables.  Inferred: the variable set is only partly documented, so every field
  but ``event`` and ``call_session_id`` is optional and times are read in several shapes.
- ``GET|POST /pbx/uis/route?key=``: the scenario step, with ``numa`` (caller), ``numb``
  (dialled), ``cdr_id``, ``start_time``, ``input_result``.  The answer rings one extension
  (``{"phones": [...]}``) or sends the scenario down a branch by ``returned_code``:
  ``UIS_WAIT_CODE`` (music, then ask again) or ``UIS_FALLBACK_CODE`` (the scenario's own plan).
  An identical retry gets the stored answer; a later step of the call is a new request.

UIS signs nothing: the URL carries a secret (``?key=``), never stored.  The step's ``cdr_id``
and the notifications' ``call_session_id`` are taken to name the same call [inferred]; where
they differ, the call is joined by caller, dialled number and start time
(``joins_calls_by_caller``).  No recordings, click-to-call or call history here.
"""

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from schemas.pbx_events import CallEvent, CallFinished, CallNote, Direction, LegKind, LegState, LegUpdate
from schemas.routing import RouteAction, RouteDecision
from telephony import PayloadError
from telephony.fields import content_hash, form_fields, json_object, model_errors_as_payload_errors, text
from telephony.vendor import Endpoint, Incoming, Reading, Routing, Vendor, Webhook, url_secret_checked

VENDOR = "uis"
EVENTS = ("call_start", "answered", "call_end")
_CALLER_LEG, _CLIENT_LEG = "caller", "client"
_NO_INPUT = ("", "None", "null")  # what ``input_result`` holds before the caller pressed anything
_LOCAL = "%Y-%m-%d %H:%M:%S"


def parse_notification(payload: dict[str, Any], *, received_at: datetime, timezone: str) -> list[CallEvent]:
    with model_errors_as_payload_errors():
        return _notification(payload, received_at=received_at, tz=ZoneInfo(timezone))


def parse_route_request(fields: dict[str, str], *, received_at: datetime, timezone: str) -> list[CallEvent]:
    """The caller waiting at the scenario step, and what they keyed in, if anything."""
    with model_errors_as_payload_errors():
        tz = ZoneInfo(timezone)
        common = {
            "call_key": _required(fields, "cdr_id"),
            "occurred_at": _moment(fields, "start_time", tz) or received_at,
        }
        waiting = LegUpdate(
            **common,
            leg_key=_CALLER_LEG,
            state=LegState.appeared,
            kind=LegKind.queue,
            client_number=_text(fields, "numa"),
            line_number=_text(fields, "numb"),
        )
        choice = _text(fields, "input_result")
        if choice is None or choice in _NO_INPUT:
            return [waiting]
        return [waiting, CallNote(**common, kind="ivr_input", detail={"digits": choice})]


def render(decision: RouteDecision, *, wait_code: int, fallback_code: int) -> str:
    if decision.action == RouteAction.ring and decision.targets:
        body: dict[str, Any] = {"phones": [decision.targets[0].extension]}
    elif decision.action == RouteAction.wait:
        body = {"returned_code": wait_code}
    else:
        body = {"returned_code": fallback_code}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _notification(payload: dict[str, Any], *, received_at: datetime, tz: ZoneInfo) -> list[CallEvent]:
    event = _text(payload, "event")
    if event not in EVENTS:
        raise PayloadError(f"unknown event {event!r}; expected one of {', '.join(EVENTS)}")
    key = _required(payload, "call_session_id")
    started = _moment(payload, "start_time", tz)
    at = _moment(payload, "notification_time", tz) or received_at
    direction = _direction(payload)
    client = _text(payload, "contact_phone_number") or _text(
        payload, "calling_phone_number" if direction != Direction.outbound else "called_phone_number"
    )
    line = _text(payload, "virtual_phone_number")
    outbound = direction == Direction.outbound
    client_leg = {"leg_key": _CLIENT_LEG if outbound else _CALLER_LEG, "client_number": client, "line_number": line}
    client_kind = LegKind.external if outbound else LegKind.queue
    extension = _text(payload, "extension")
    if event == "call_start":
        return [
            LegUpdate(call_key=key, occurred_at=started or at, state=LegState.appeared, kind=client_kind, **client_leg)
        ]
    if event == "answered":
        if outbound:
            return [LegUpdate(call_key=key, occurred_at=at, state=LegState.connected, kind=client_kind, **client_leg)]
        if extension is None:
            raise PayloadError("answered needs the employee's extension")
        return [_operator_leg(key, at, extension, LegState.connected, client)]
    ended = [LegUpdate(call_key=key, occurred_at=at, state=LegState.disconnected, kind=client_kind, **client_leg)]
    if extension and not outbound:
        ended.append(_operator_leg(key, at, extension, LegState.disconnected, client))
    finished = CallFinished(
        call_key=key,
        occurred_at=at,
        direction=direction,
        client_number=client,
        line_number=line,
        extension=extension,
        started_at=started,
    )  # ``answered`` stays None: the legs seen say whether anyone talked
    return [*ended, finished]


def _operator_leg(key: str, at: datetime, extension: str, state: LegState, client: str | None) -> LegUpdate:
    return LegUpdate(
        call_key=key,
        occurred_at=at,
        leg_key=f"ext:{extension}",
        state=state,
        kind=LegKind.operator,
        extension=extension,
        client_number=client,
    )


def _direction(payload: dict[str, Any]) -> Direction | None:
    value = (_text(payload, "direction") or "").lower()
    if value in ("in", "incoming", "inbound"):
        return Direction.inbound
    if value in ("out", "outgoing", "outbound"):
        return Direction.outbound
    if value in ("internal",):
        return Direction.internal
    return None


def _moment(payload: dict[str, Any], key: str, tz: ZoneInfo) -> datetime | None:
    """Unix seconds, ISO 8601, or the cabinet's local ``YYYY-MM-DD HH:MM:SS``; None when absent."""
    value = _text(payload, key)
    if value is None:
        return None
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        moment = datetime.fromisoformat(value) if "T" in value else datetime.strptime(value[:19], _LOCAL)
        return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        raise PayloadError(f"{key} {value[:40]!r} is not a time") from None


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = text(payload, key)
    if value is not None and len(value) > 128:
        raise PayloadError(f"{key} is longer than 128 characters")
    if value is not None and "\x00" in value:
        raise PayloadError(f"{key} contains a NUL character")
    return value


def _required(payload: dict[str, Any], key: str) -> str:
    value = _text(payload, key)
    if value is None:
        raise PayloadError(f"missing {key}")
    return value


def _fields(body: str) -> dict[str, Any]:
    """A JSON object or a form, whichever the scenario or template sends."""
    return json_object(body, what="body") if body.lstrip().startswith("{") else form_fields(body, max_fields=60)


_KEY = {"name": "key", "in": "query", "required": True, "schema": {"type": "string"}, "description": "UIS_SECRET"}


class Uis(Vendor):
    name = VENDOR
    title = "UIS"
    endpoints = (
        Endpoint(
            "events",
            "/pbx/uis/events",
            ("POST",),
            "UIS notifications (call start, answered, call end) from the README's templates.",
            {"parameters": [_KEY]},
        ),
        Endpoint(
            "route",
            "/pbx/uis/route",
            ("GET", "POST"),
            "Interactive call processing: the scenario step asks which operator to ring.",
            {"parameters": [_KEY]},
        ),
    )
    routing = Routing.reply
    max_targets = 1  # ``phones`` rings the numbers one after another: one extension per step
    asks_again = True  # the wait branch comes back to the step
    joins_calls_by_caller = True

    def configured(self) -> bool:
        return bool(self.settings.uis_secret)

    def unconfigured_reason(self) -> str:
        return "UIS webhooks are not configured (CALLFUNNEL_UIS_SECRET)"

    def verify(self, request: Incoming) -> Webhook:
        fields = url_secret_checked(request, secret=self.settings.uis_secret)
        body = request.body if request.body or not fields else urlencode(fields)
        return Webhook(request.endpoint, body)

    def read(self, webhook: Webhook, *, received_at: datetime) -> Reading:
        fields = _fields(webhook.body)
        timezone = self.settings.timezone
        if webhook.path == "route":
            return Reading(
                key=f"route:{_text(fields, 'cdr_id')}:{content_hash(fields)}",
                events=parse_route_request(fields, received_at=received_at, timezone=timezone),
                asks_route=True,
            )
        events = parse_notification(fields, received_at=received_at, timezone=timezone)
        event, call = fields.get("event"), fields.get("call_session_id")
        key = f"{event}:{call}" if event != "answered" else f"{event}:{call}:{content_hash(fields)}"
        return Reading(key=key, events=events, sent_at=_moment(fields, "notification_time", ZoneInfo(timezone)))

    def render_route(self, decision: RouteDecision) -> str:
        return render(decision, wait_code=self.settings.uis_wait_code, fallback_code=self.settings.uis_fallback_code)
