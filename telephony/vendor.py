"""The seam between callfunnel and one virtual PBX: what a vendor provides, and nothing else.

``app/`` never imports a vendor module; it asks ``telephony.registry`` for the configured
vendors and speaks to them through this class.  A vendor fills in what applies to it:

- its webhook endpoints, how a request is verified (signature, shared key in the URL), what of
  it is stored, and how a stored request reads (dedup key, date, normalized events);
- how it answers: an acknowledgement, a routing decision for a PBX that waits on the reply;
- its command client (route a waiting call, click-to-call) and the rate budget of routes;
- the reader of its call history, for reconciliation;
- where its recordings' audio comes from, and the rate budget that fetching it spends.

Framework-free on purpose: requests come in as ``Incoming``, answers go out as ``Answer``.
"""

import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qsl

import httpx

from schemas.pbx_events import CallEvent, CallFinished, CommandResult
from schemas.routing import RouteDecision
from telephony.recordings import RecordingSource

Event = CallEvent | CommandResult
History = Callable[..., Awaitable[list[CallFinished]]]  # (since=, until=) -> the calls the PBX finished


class Routing(StrEnum):
    """How the PBX takes callfunnel's choice of operator."""

    reply = "reply"  # it asks in a webhook and waits for the answer (queues in ``sync`` mode)
    command = "command"  # callfunnel sends it a command (queues in ``command`` mode)
    none = "none"  # it cannot be told: the PBX distributes, callfunnel observes


@dataclass(frozen=True)
class Endpoint:
    """One URL the PBX calls.  ``name`` tells the vendor which (a vendor may have several)."""

    name: str
    path: str
    methods: tuple[str, ...]
    summary: str
    openapi: dict = field(default_factory=dict)  # the request as OpenAPI describes it


@dataclass(frozen=True)
class Incoming:
    """A webhook request as a vendor sees it."""

    endpoint: str
    method: str
    subpath: str  # what follows the endpoint's fixed path (MANGO: ``events/call``), else ""
    query: str  # the raw query string
    headers: Mapping[str, str]
    body: str


class Refused(Exception):
    """The request is not the PBX's (unsigned, wrongly signed, unconfigured): nothing is stored."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass(frozen=True)
class Webhook:
    """A verified request, as the inbox keeps it: never with a secret the URL carried."""

    path: str
    body: str


@dataclass(frozen=True)
class Reading:
    """What a stored webhook says."""

    key: str  # the same for every delivery of one notification
    events: list[Event]
    sent_at: datetime | None = None  # when the PBX dated it (None: undated)
    asks_route: bool = False  # the PBX waits for the routing decision in the reply


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to the PBX."""

    body: str = ""
    status: int = 200
    media_type: str = "application/json"

    @classmethod
    def json(cls, value: Any, status: int = 200) -> "Answer":
        return cls(json.dumps(value, ensure_ascii=False, separators=(",", ":")), status)

    @classmethod
    def text(cls, value: str) -> "Answer":
        return cls(value, media_type="text/plain")


@dataclass(frozen=True)
class Command:
    """A command callfunnel sends a PBX."""

    command_id: str  # ours; a vendor that echoes it matches its result webhook
    kind: str  # route | callback
    target: str  # route: extension or group; callback: the operator's extension
    leg_key: str | None = None  # route: the leg waiting in the IVR or a queue
    to_number: str | None = None  # callback: the client


@dataclass(frozen=True)
class Reply:
    """What the PBX answered a command: ``retry`` is True only when sending it again is safe."""

    ok: bool
    retry: bool
    detail: str
    final: bool = False  # True: no result webhook follows, this reply is the outcome
    blocks_key: bool = False  # a refusal the PBX counts against the key (MANGO 3xxx): pause its commands


class CommandClient(Protocol):
    async def send(self, command: Command) -> Reply: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class HistoryReader:
    """Reads the calls a PBX finished in a window, over its own HTTP client."""

    fetch: History  # (since=, until=)
    client: httpx.AsyncClient

    async def __call__(self, *, since: datetime, until: datetime) -> list[CallFinished]:
        return await self.fetch(since=since, until=until)

    async def close(self) -> None:
        await self.client.aclose()


def history_reader(
    fetch: History, *, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None, **credentials: Any
) -> HistoryReader:
    """A reader whose ``fetch(client, since=, until=, **credentials)`` gets its own HTTP client;
    a history report can take a while, so the timeout is at least 30 s."""
    client = httpx.AsyncClient(base_url=base_url, timeout=max(timeout, 30.0), transport=transport)
    return HistoryReader(partial(fetch, client, **credentials), client)


class Vendor:
    """One PBX vendor, configured from callfunnel's settings (read by attribute: ``app.settings.Settings``)."""

    name: ClassVar[str]  # as stored (``inbox_item.vendor``, ``call.vendor``) and in PBX_ALLOWED_IPS
    title: ClassVar[str]  # as people know it
    endpoints: ClassVar[tuple[Endpoint, ...]]
    routing: ClassVar[Routing] = Routing.none
    max_targets: ClassVar[int | None] = None  # extensions one routing reply can ring
    asks_again: ClassVar[bool] = False  # told to wait, the PBX asks again while the caller holds
    route_budget: ClassVar[timedelta | None] = None  # at most one route command per this, all processes
    confirmed_by_history: ClassVar[bool] = False  # its webhooks sign too little to stand alone
    joins_calls_by_caller: ClassVar[bool] = False  # its call ids may differ between two feeds
    places_calls: ClassVar[bool] = False  # its API can ring an operator, then the client (click-to-call)
    # Fetching a recording, placing a click-to-call: each spends one request of its budget (the
    # budget's name, one request per interval), kept for all processes; two budgets of one name
    # are one (Zadarma's API limit covers both).
    recording_budget: ClassVar[tuple[str, timedelta] | None] = None
    refusal_pause: ClassVar[timedelta | None] = None  # after a reply that ``blocks_key``, no command for this long
    callback_budget: ClassVar[tuple[str, timedelta] | None] = None

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.accepts_webhooks = self.configured()  # settings do not change while the app runs

    # Webhooks.

    def configured(self) -> bool:
        """Whether its webhooks are accepted (a secret is set); read once, as ``accepts_webhooks``."""
        raise NotImplementedError

    def unconfigured_reason(self) -> str:
        raise NotImplementedError

    def early_answer(self, request: Incoming) -> Answer | None:
        """An answer before any check, for a request that carries no call (a URL check)."""
        return None

    def verify(self, request: Incoming) -> Webhook | Answer:
        """The request as it will be stored, once it proves to be the PBX's; raises Refused.
        An Answer instead: the request is the PBX's but carries nothing to keep (a ping)."""
        raise NotImplementedError

    def read(self, webhook: Webhook, *, received_at: datetime) -> Reading:
        """What a stored request says; raises PayloadError (it is then kept with the reason)."""
        raise NotImplementedError

    def acknowledge(self, *, inbox_id: int, duplicate: bool) -> Answer:
        return Answer.json({"status": "duplicate" if duplicate else "accepted", "inbox_id": inbox_id})

    def unreadable(self, *, inbox_id: int, error: str) -> Answer | None:
        """The answer to a verified request that could not be read; None: 422 with the reason."""
        return None

    def render_route(self, decision: RouteDecision) -> str:
        """The routing decision as the PBX reads it (stored, and given again to a redelivery)."""
        raise NotImplementedError(f"{self.title} does not take a routing reply")

    def routed(self, *, inbox_id: int, duplicate: bool, reply: str) -> Answer:
        return Answer(reply)

    # Its API.

    def command_client(self, transport: httpx.AsyncBaseTransport | None) -> CommandClient | None:
        """The client commands go out through, where the API credentials are set."""
        return None

    def history(self, transport: httpx.AsyncBaseTransport | None) -> "HistoryReader | None":
        """The reader of its call history (reconciliation), where the API credentials are set."""
        return None

    def recording_source(self, transport: httpx.AsyncBaseTransport | None) -> "RecordingSource | None":
        """Where its recordings' audio comes from (``telephony.recordings``), where that is configured."""
        return None

    def start_warnings(self) -> list[str]:
        """What the person starting callfunnel should hear about this vendor's configuration."""
        return []


def url_secret_checked(request: Incoming, *, secret: str) -> list[tuple[str, str]]:
    """The query's fields less ``key``, once ``key`` proves the request is the PBX's (401 if not).

    For vendors that sign nothing and carry a shared secret in the URL (Sipuni, UIS)."""
    try:
        pairs = parse_qsl(request.query, keep_blank_values=True, max_num_fields=100)
    except ValueError:
        raise Refused(400, "the query string cannot be read") from None
    keys = [value for name, value in pairs if name == "key"]
    if len(keys) != 1 or not hmac.compare_digest(keys[0].encode(), secret.encode()):
        raise Refused(401, "wrong or missing key")
    return [(name, value) for name, value in pairs if name != "key"]
