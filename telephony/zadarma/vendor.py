"""Zadarma at the seam: ``NOTIFY_*`` form posts to one URL, signed in a header over a few fields;
``NOTIFY_START``/``NOTIFY_IVR`` wait for the routing decision in the reply; click-to-call and the
call history through the REST API.  Its calls are confirmed against that history."""

from datetime import datetime, timedelta
from urllib.parse import parse_qs

import httpx

from telephony.vendor import (
    Answer,
    Endpoint,
    HistoryReader,
    Incoming,
    Reading,
    Refused,
    Routing,
    Vendor,
    Webhook,
    history_reader,
)
from telephony.zadarma import stats, webhooks
from telephony.zadarma.api import ZadarmaClient

_REPLIES = {
    "responses": {
        "200": {
            "description": "``ok``/``duplicate`` as text; for NOTIFY_START and NOTIFY_IVR the routing decision as JSON",
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
            },
        }
    }
}
_ECHO = {
    "parameters": [{"name": "zd_echo", "in": "query", "required": True, "schema": {"type": "string"}}],
    "responses": {"200": {"description": "the value sent", "content": {"text/plain": {"schema": {"type": "string"}}}}},
}


class Zadarma(Vendor):
    name = webhooks.VENDOR
    title = "Zadarma"
    endpoints = (
        Endpoint("echo", "/pbx/zadarma", ("GET",), "Answers the cabinet's URL check with the value it sent.", _ECHO),
        Endpoint(
            "notify",
            "/pbx/zadarma",
            ("POST",),
            "Every ``NOTIFY_*``; ``NOTIFY_START`` and ``NOTIFY_IVR`` are answered with the routing decision.",
            _REPLIES,
        ),
    )
    places_calls = True
    routing = Routing.reply
    max_targets = 1  # ``redirect`` names one extension (or a scenario)
    confirmed_by_history = True
    recording_budget = callback_budget = ("api", timedelta(seconds=0.6))  # its API: 100 requests a minute

    def configured(self) -> bool:
        return bool(self.settings.zadarma_secret)

    def unconfigured_reason(self) -> str:
        return "Zadarma webhooks are not configured (CALLFUNNEL_ZADARMA_SECRET)"

    def early_answer(self, request: Incoming) -> Answer | None:
        """``zd_echo``: the URL check when the link is saved in the cabinet, on either method."""
        echo = parse_qs(request.query).get("zd_echo")
        if echo is not None:
            return Answer.text(echo[0])
        if request.method == "GET":
            raise Refused(422, "zd_echo is required")
        return None

    def verify(self, request: Incoming) -> Webhook:
        signature = request.headers.get(webhooks.SIGNATURE_HEADER)
        webhooks.check_signature(request.body, signature, secret=self.settings.zadarma_secret)
        return Webhook("notify", request.body)

    def read(self, webhook: Webhook, *, received_at: datetime) -> Reading:
        return webhooks.reading(webhook.body, received_at=received_at, timezone=self.settings.timezone)

    def acknowledge(self, *, inbox_id: int, duplicate: bool) -> Answer:
        return Answer.text("duplicate" if duplicate else "ok")

    def render_route(self, decision) -> str:
        return webhooks.reply(decision)

    def routed(self, *, inbox_id: int, duplicate: bool, reply: str) -> Answer:
        return Answer(reply) if reply else Answer.text("")

    def command_client(self, transport: httpx.AsyncBaseTransport | None) -> ZadarmaClient | None:
        if not self._api_configured():
            return None
        return ZadarmaClient(
            base_url=self.settings.zadarma_api_url,
            api_key=self.settings.zadarma_api_key,
            secret=self.settings.zadarma_secret,
            timeout=self.settings.pbx_request_timeout_seconds,
            transport=transport,
        )

    def recording_source(self, transport: httpx.AsyncBaseTransport | None) -> ZadarmaClient | None:
        return self.command_client(transport)

    def history(self, transport: httpx.AsyncBaseTransport | None) -> HistoryReader | None:
        if not self._api_configured():
            return None
        return history_reader(
            stats.fetch,
            base_url=self.settings.zadarma_api_url.rstrip("/"),
            timeout=self.settings.pbx_request_timeout_seconds,
            transport=transport,
            api_key=self.settings.zadarma_api_key,
            secret=self.settings.zadarma_secret,
            timezone=self.settings.timezone,
        )

    def start_warnings(self) -> list[str]:
        if self.configured() and not self.settings.pbx_allowed_ips.get(self.name):
            return [
                "Zadarma webhooks are accepted from any address: Zadarma signs only a few fields, so a captured "
                "notification can be replayed with others changed; set CALLFUNNEL_PBX_ALLOWED_IPS for zadarma"
            ]
        return []

    def _api_configured(self) -> bool:
        return bool(self.settings.zadarma_api_key and self.settings.zadarma_secret)
