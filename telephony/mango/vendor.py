"""MANGO OFFICE at the seam: signed form webhooks under one base URL, ``commands/route`` and
``commands/callback``, the ``stats`` call history.  Routing is by command (no webhook waits)."""

from datetime import datetime, timedelta

import httpx

from telephony.mango import stats, webhooks
from telephony.mango.api import MangoClient, MangoRecordings
from telephony.vendor import (
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

_FORM = {
    "parameters": [
        {
            "name": "path",
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
            "description": "events/call, ...",
        }
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": list(webhooks.FORM_FIELDS),
                    "properties": {
                        "vpbx_api_key": {"type": "string"},
                        "sign": {"type": "string", "description": "sha256(key + json + salt)"},
                        "json": {"type": "string", "description": "the notification, compact JSON"},
                    },
                }
            }
        },
    },
}


class Mango(Vendor):
    name = webhooks.VENDOR
    title = "MANGO OFFICE"
    endpoints = (
        Endpoint(
            "events",
            "/pbx/mango/{path:path}",
            ("POST",),
            "Any notification MANGO OFFICE posts under the base URL: ``events/...`` and ``result/...``.",
            _FORM,
        ),
    )
    places_calls = True
    routing = Routing.command
    route_budget = timedelta(seconds=2)  # commands/route: MANGO blocks a key that sends more
    refusal_pause = timedelta(minutes=2)  # MANGO blocks a key after two 3xxx answers in two minutes
    recording_budget = ("recordings", timedelta(seconds=0.1))  # recordings access: 10 requests a second

    def configured(self) -> bool:
        return bool(self.settings.mango_api_key and self.settings.mango_api_salt)

    def unconfigured_reason(self) -> str:
        return "MANGO webhooks are not configured (CALLFUNNEL_MANGO_API_KEY/_SALT)"

    def verify(self, request: Incoming) -> Webhook:
        webhooks.check_signature(request.body, api_key=self.settings.mango_api_key, salt=self.settings.mango_api_salt)
        path = request.subpath.strip("/")
        if not path.startswith(("events/", "result/")):
            raise Refused(404, f"MANGO does not post to {path!r}")
        return Webhook(path, request.body)

    def read(self, webhook: Webhook, *, received_at: datetime) -> Reading:
        return webhooks.reading(webhook.path, webhook.body)

    def command_client(self, transport: httpx.AsyncBaseTransport | None) -> MangoClient | None:
        if not self.configured():
            return None
        return MangoClient(
            base_url=self.settings.mango_api_url,
            api_key=self.settings.mango_api_key,
            salt=self.settings.mango_api_salt,
            line_number=self.settings.mango_line_number,
            timeout=self.settings.pbx_request_timeout_seconds,
            transport=transport,
        )

    def recording_source(self, transport: httpx.AsyncBaseTransport | None) -> MangoRecordings | None:
        if not self.configured():
            return None
        return MangoRecordings(
            base_url=self.settings.mango_api_url,
            api_key=self.settings.mango_api_key,
            salt=self.settings.mango_api_salt,
            timeout=self.settings.pbx_request_timeout_seconds,
            transport=transport,
        )

    def history(self, transport: httpx.AsyncBaseTransport | None) -> HistoryReader | None:
        if not self.configured():
            return None
        return history_reader(
            stats.fetch,
            base_url=self.settings.mango_api_url.rstrip("/") + "/",
            timeout=self.settings.pbx_request_timeout_seconds,
            transport=transport,
            api_key=self.settings.mango_api_key,
            salt=self.settings.mango_api_salt,
        )
