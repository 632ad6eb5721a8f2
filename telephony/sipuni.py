"""Sipuni: call events by ``GET`` or form ``POST`` to one URL (``docs/pbx-formats.md`` §4).

``event`` is 1 (a phone rings), 3 (answered), 4 (a leg ends on a transfer), 2 (the call is over,
with ``status``); ``src_type``/``dst_type`` say which side is ours (1 external, 2 internal).
Sipuni signs nothing: the URL carries a secret (``?key=``), compared in constant time, never
stored.  Sipuni suspends a feed that is not answered ``{"success": true}``, so every request
with the right key gets exactly that, even one callfunnel cannot read (kept with the reason).

Inferred from captured traffic, read leniently: the same ``event=1`` may come twice a second
apart (one event: its dedup key leaves the time out); an internal number may be the account's
``user_id`` followed by the extension (``000111`` + ``201``); a number may carry an ``_id…``
suffix; ``last_called`` may be an ``&``-joined list (the last one answered); ``event=2`` may
never come (the sweep finishes such calls).  No routing, click-to-call or call history.
The final event's ``call_record_link`` (on Sipuni's host, with a ``hash=`` secret) is the recording.
"""

from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import httpx

from schemas.pbx_events import (
    CallEvent,
    CallFinished,
    Direction,
    EndReason,
    LegKind,
    LegState,
    LegUpdate,
    RecordingState,
    RecordingUpdate,
)
from telephony import PayloadError
from telephony.fields import form_fields, model_errors_as_payload_errors
from telephony.recordings import LinkSource
from telephony.vendor import Answer, Endpoint, Incoming, Reading, Vendor, Webhook, url_secret_checked

VENDOR = "sipuni"
SIPUNI_HOST = "sipuni.com"  # the only host its recording links may point to
EVENTS = {"1": "ringing", "2": "ended", "3": "answered", "4": "transferred_away"}
_EXTERNAL, _INTERNAL = "1", "2"
STATUSES = {
    "ANSWER": EndReason.completed,
    "CANCEL": EndReason.caller_hung_up,
    "NOANSWER": EndReason.no_answer,
    "BUSY": EndReason.busy,
    "CONGESTION": EndReason.failed,
    "CHANUNAVAIL": EndReason.unavailable,
}
_CALLER_LEG, _CLIENT_LEG = "caller", "client"  # inbound: the caller waiting; outbound: the client dialled
_SUCCESS = {"success": True}


def parse(fields: dict[str, str]) -> list[CallEvent]:
    with model_errors_as_payload_errors():
        return _parse(fields)


def dedup_key(fields: dict[str, str]) -> str:
    """One notification, whatever its delivery time: a repeated ``event=1`` is the same ring."""
    event, call = fields.get("event", ""), fields.get("call_id", "")
    if event == "2":
        return f"2:{call}"
    phones = ":".join(fields.get(name, "") for name in ("src_num", "dst_num", "short_src_num", "short_dst_num"))
    return f"{event}:{call}:{phones}:{fields.get('last_called', '')}"


def sent_at(fields: dict[str, str]) -> datetime | None:
    return _time(fields, "timestamp") if fields.get("timestamp") else None


def _parse(fields: dict[str, str]) -> list[CallEvent]:
    if any("\x00" in value for value in fields.values()):
        raise PayloadError("a field contains a NUL character")
    event = fields.get("event")
    if event not in EVENTS:
        raise PayloadError(f"unknown event {event!r}; expected 1, 2, 3 or 4")
    common = {"call_key": _required(fields, "call_id"), "occurred_at": _time(fields, "timestamp")}
    direction = _direction(fields)
    if event == "2":
        return _ended(fields, common, direction)
    if direction is None:
        raise PayloadError("src_type/dst_type do not say which side is ours")
    state = {"1": LegState.appeared, "3": LegState.connected, "4": LegState.disconnected}[event]
    if direction == Direction.inbound:
        legs = [_caller_leg(fields, common, LegState.appeared)] if event == "1" else []
        extension = _extension(fields, "short_dst_num", "dst_num")
        if fields.get("dst_type") == _INTERNAL and extension:
            legs.append(_operator_leg(fields, common, state, extension))
        return legs
    if direction == Direction.outbound:
        return [_client_leg(fields, common, state)]
    return []  # one employee calling another: not a customer call


def _ended(fields: dict[str, str], common: dict, direction: Direction | None) -> list[CallEvent]:
    status = fields.get("status", "")
    reason = STATUSES.get(status, EndReason.failed)
    answered = status == "ANSWER"
    extension = _last_called(fields) or _operator_extension(fields, direction)
    events: list[CallEvent] = []
    if direction == Direction.inbound:
        events.append(_caller_leg(fields, common, LegState.disconnected, end_reason=reason))
        if extension:
            events.append(_operator_leg(fields, common, LegState.disconnected, extension, end_reason=reason))
    elif direction == Direction.outbound:
        events.append(_client_leg(fields, common, LegState.disconnected, end_reason=reason))
    started = _time(fields, "call_start_timestamp") if fields.get("call_start_timestamp") else None
    answered_at = _time(fields, "call_answer_timestamp") if answered and fields.get("call_answer_timestamp") else None
    events.append(
        CallFinished(
            **common,
            direction=direction,
            client_number=_client_number(fields, direction),
            line_number=_line_number(fields, direction),
            extension=extension,
            started_at=started,
            answered_at=answered_at,
            answered=answered,
            end_reason=reason,
            end_code=status[:16] or None,
        )
    )
    link = fields.get("call_record_link", "")
    if link and is_sipuni_url(link):  # a link elsewhere is not Sipuni's recording: never fetched
        events.append(
            RecordingUpdate(**common, recording_id=common["call_key"], state=RecordingState.playable, url=link)
        )
    return events


def is_sipuni_url(url: str) -> bool:
    """Whether ``url`` is on Sipuni's own host (``https://sipuni.com/api/crm/record?id=…&hash=…``)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == SIPUNI_HOST or host.endswith("." + SIPUNI_HOST))


def _direction(fields: dict[str, str]) -> Direction | None:
    source, destination = fields.get("src_type"), fields.get("dst_type")
    if source == _EXTERNAL:
        return Direction.inbound
    if source == _INTERNAL:
        return Direction.outbound if destination == _EXTERNAL else Direction.internal
    return None


def _caller_leg(fields: dict, common: dict, state: LegState, end_reason: EndReason | None = None) -> LegUpdate:
    return LegUpdate(
        **common,
        leg_key=_CALLER_LEG,
        state=state,
        kind=LegKind.queue,
        client_number=_client_number(fields, Direction.inbound),
        line_number=_line_number(fields, Direction.inbound),
        end_reason=end_reason,
    )


def _operator_leg(
    fields: dict, common: dict, state: LegState, extension: str, end_reason: EndReason | None = None
) -> LegUpdate:
    return LegUpdate(
        **common,
        leg_key=f"ext:{extension}",
        state=state,
        kind=LegKind.operator,
        extension=extension,
        client_number=_client_number(fields, Direction.inbound),
        end_reason=end_reason if state == LegState.disconnected else None,
    )


def _client_leg(fields: dict, common: dict, state: LegState, end_reason: EndReason | None = None) -> LegUpdate:
    return LegUpdate(
        **common,
        leg_key=_CLIENT_LEG,
        state=state,
        kind=LegKind.external,
        extension=_extension(fields, "short_src_num", "src_num"),
        client_number=_client_number(fields, Direction.outbound),
        end_reason=end_reason if state == LegState.disconnected else None,
    )


def _client_number(fields: dict[str, str], direction: Direction | None) -> str | None:
    if direction == Direction.inbound:
        return _number(fields.get("src_num"))
    if direction == Direction.outbound:
        return _number(fields.get("dst_num"))
    return None


def _line_number(fields: dict[str, str], direction: Direction | None) -> str | None:
    """The company's number the client dialled (inbound: ``pbxdstnum``, else an external ``dst_num``)."""
    if direction != Direction.inbound:
        return None
    if fields.get("pbxdstnum"):
        return _number(fields["pbxdstnum"])
    return _number(fields.get("dst_num")) if fields.get("dst_type") == _EXTERNAL else None


def _operator_extension(fields: dict[str, str], direction: Direction | None) -> str | None:
    if direction == Direction.inbound and fields.get("dst_type") == _INTERNAL:
        return _extension(fields, "short_dst_num", "dst_num")
    if direction == Direction.outbound:
        return _extension(fields, "short_src_num", "src_num")
    return None


def _extension(fields: dict[str, str], short: str, full: str) -> str | None:
    """An employee's extension: the short number, else the full one less the account's ``user_id``."""
    if fields.get(short):
        return _clip(fields[short], short)
    return _without_account(fields, _number(fields.get(full)))


def _last_called(fields: dict[str, str]) -> str | None:
    called = [part for part in (fields.get("last_called") or "").split("&") if part.strip()]
    return _without_account(fields, _number(called[-1].strip())) if called else None


def _without_account(fields: dict[str, str], number: str | None) -> str | None:
    account = fields.get("user_id") or ""
    if number and account and number.startswith(account) and len(number) > len(account):
        return _clip(number[len(account) :], "extension")
    return _clip(number, "extension") if number else None


def _number(value: str | None) -> str | None:
    """A number as Sipuni writes it, less an ``_id…`` suffix."""
    if not value:
        return None
    return _clip(value.split("_id", 1)[0].strip(), "number") or None


def _time(fields: dict[str, str], key: str) -> datetime:
    value = fields.get(key, "")
    try:
        return datetime.fromtimestamp(int(float(value)), UTC)
    except (ValueError, OverflowError, OSError):
        raise PayloadError(f"{key} must be Unix seconds, got {value[:40]!r}") from None


def _required(fields: dict[str, str], key: str) -> str:
    value = fields.get(key)
    if not value:
        raise PayloadError(f"missing {key}")
    return _clip(value, key)


def _clip(value: str, key: str) -> str:
    if len(value) > 128:
        raise PayloadError(f"{key} is longer than 128 characters")
    return value


_QUERY = {
    "parameters": [
        {"name": "key", "in": "query", "required": True, "schema": {"type": "string"}, "description": "SIPUNI_SECRET"},
        {"name": "event", "in": "query", "required": False, "schema": {"type": "string", "enum": list(EVENTS)}},
        {"name": "call_id", "in": "query", "required": False, "schema": {"type": "string"}},
    ],
    "responses": {"200": {"description": '{"success": true}, for every request with the right key'}},
}


class Sipuni(Vendor):
    name = VENDOR
    title = "Sipuni"
    endpoints = (
        Endpoint(
            "events",
            "/pbx/sipuni",
            ("GET", "POST"),
            "Sipuni's call events, by GET or form POST, with the secret in ``key``.",
            _QUERY,
        ),
    )

    def configured(self) -> bool:
        return bool(self.settings.sipuni_secret)

    def unconfigured_reason(self) -> str:
        return "Sipuni webhooks are not configured (CALLFUNNEL_SIPUNI_SECRET)"

    def verify(self, request: Incoming) -> Webhook | Answer:
        fields = url_secret_checked(request, secret=self.settings.sipuni_secret)
        body = "&".join(part for part in (urlencode(fields), request.body) if part)
        if not body:
            return Answer.json(_SUCCESS)  # the ping when the URL is saved: nothing to keep
        return Webhook("events", body)

    def read(self, webhook: Webhook, *, received_at: datetime) -> Reading:
        fields = form_fields(webhook.body, max_fields=60)
        return Reading(key=dedup_key(fields), events=parse(fields), sent_at=sent_at(fields))

    def acknowledge(self, *, inbox_id: int, duplicate: bool) -> Answer:
        return Answer.json(_SUCCESS)

    def unreadable(self, *, inbox_id: int, error: str) -> Answer:
        return Answer.json(_SUCCESS)

    def recording_source(self, transport: httpx.AsyncBaseTransport | None) -> LinkSource | None:
        if not self.configured():
            return None
        return LinkSource(allowed=is_sipuni_url, timeout=self.settings.pbx_request_timeout_seconds, transport=transport)
