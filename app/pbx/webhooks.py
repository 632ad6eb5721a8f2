"""The webhook intake, one pipeline for every vendor: source address, body, verification, storage,
acknowledgement (or, for a PBX waiting on it, the routing decision).

The order is the contract: nothing unverified is stored; a verified request is committed to the
inbox before any 2xx; a verified request we cannot read is stored with the reason (and answered
422, unless its vendor must hear success), so it can be replayed after a fix.
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from ipaddress import ip_address

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.responses import Response
from fastapi.routing import APIRoute

from app import instruments
from app.database import utcnow
from app.inbox.writer import Stored
from app.pbx.routed import store_and_route
from app.settings import Settings
from telephony import PayloadError
from telephony.vendor import Answer, Endpoint, Incoming, Refused, Vendor

log = logging.getLogger(__name__)

KEPT_HEADERS = ("content-type", "user-agent", "x-forwarded-for", "x-real-ip", "signature", "x-callfunnel-signature")


def add_webhook_routes(app: FastAPI, vendors: dict[str, Vendor]) -> None:
    """Every endpoint of every registered vendor, each running ``receive``: on the application's
    own router, ahead of the others (an included router is matched and dispatched through layers
    of its own: ~21 of the ~96 µs a webhook spent in routing and the middleware)."""
    for vendor in vendors.values():
        for endpoint in vendor.endpoints:
            for method in endpoint.methods:  # one route per method: each its own operation id
                app.router.add_api_route(
                    endpoint.path,
                    _handler(vendor, endpoint),
                    methods=[method],
                    tags=["pbx webhooks"],
                    summary=f"{vendor.title}: {endpoint.name}",
                    description=endpoint.summary,
                    response_class=Response,
                    openapi_extra=endpoint.openapi or None,
                    name=f"{vendor.name}_{endpoint.name}_{method.lower()}",
                    route_class_override=_WebhookRoute,
                )


class _WebhookRoute(APIRoute):
    """A webhook's handler takes the request and returns its response, so FastAPI has nothing to
    solve or serialize around it: its request handler (dependencies, parameters, the response
    model) cost about a twentieth of the intake's CPU per webhook.  OpenAPI still describes it."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        return self.endpoint


class Unreadable(HTTPException):
    """422: verified, but not a webhook we can read (kept for replay)."""


def _handler(vendor: Vendor, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        started, result = time.perf_counter(), "failed"  # (until stored: the database may be down)
        try:
            result, answer = await receive(request, vendor, endpoint)
        except Unreadable:
            result = "unreadable"
            raise
        except HTTPException:
            result = "refused"
            raise
        finally:
            if result is not None:
                instruments.add(instruments.WEBHOOKS, vendor.name, result)
                instruments.record(instruments.WEBHOOK_SECONDS, time.perf_counter() - started, vendor.name)
        return Response(answer.body, status_code=answer.status, media_type=answer.media_type)

    return handle


async def receive(request: Request, vendor: Vendor, endpoint: Endpoint) -> tuple[str | None, Answer]:
    """The answer to one request, and what it was for the metrics: ``accepted``, ``duplicate``,
    ``unreadable``, or None for a vendor's handshake (no webhook)."""
    settings = request.app.state.settings
    incoming = Incoming(
        endpoint=endpoint.name,
        method=request.method,
        subpath=request.path_params.get("path", ""),
        query=request.url.query,
        headers=request.headers,
        body="",
    )
    try:
        early = vendor.early_answer(incoming)
        if early is not None:
            return None, early
        check_source(request, settings, vendor.name)
        if not vendor.accepts_webhooks:
            raise Refused(status.HTTP_403_FORBIDDEN, vendor.unconfigured_reason())
        webhook = vendor.verify(replace(incoming, body=await read_body(request, settings)))
    except Refused as refusal:
        raise HTTPException(refusal.status, refusal.detail) from None
    if isinstance(webhook, Answer):
        return None, webhook
    received_at = utcnow()
    try:
        reading = vendor.read(webhook, received_at=received_at)
    except PayloadError as exc:
        key = unreadable_key(webhook.body)
        stored = await store(request, vendor=vendor.name, path=webhook.path, key=key, body=webhook.body, error=str(exc))
        answer = vendor.unreadable(inbox_id=stored.id, error=str(exc))
        if answer is None:
            raise Unreadable(
                status.HTTP_422_UNPROCESSABLE_CONTENT, f"{exc} (kept as inbox item {stored.id} for replay)"
            ) from None
        return "unreadable", answer
    check_fresh(reading.sent_at, settings)
    if not reading.asks_route:
        request.app.state.readings.keep((vendor.name, reading.key), reading.events)
        stored = await store(
            request, vendor=vendor.name, path=webhook.path, key=reading.key, body=webhook.body, received_at=received_at
        )
        return _result(stored), vendor.acknowledge(inbox_id=stored.id, duplicate=stored.duplicate)
    stored, reply = await store_and_route(
        request,
        vendor=vendor,
        webhook=webhook,
        reading=reading,
        headers=kept_headers(request),
        remote=remote_addr(request),
    )
    return _result(stored), vendor.routed(inbox_id=stored.id, duplicate=stored.duplicate, reply=reply)


def _result(stored: Stored) -> str:
    return "duplicate" if stored.duplicate else "accepted"


# What every webhook goes through around its vendor's checks.  Plain functions rather than
# FastAPI dependencies: intake is the hot path, and resolving a chain of dependencies cost about
# a fifth of its CPU per webhook.


def check_source(request: Request, settings: Settings, vendor: str) -> None:
    """Refuses a vendor's webhook from outside its configured address list (if it has one)."""
    networks = settings.pbx_allowed_ips.get(vendor)
    if not networks:
        return
    host = request.client.host if request.client else None
    try:
        if host and any(ip_address(host) in network for network in networks):
            return
    except ValueError:
        pass
    raise HTTPException(status.HTTP_403_FORBIDDEN, f"{host} is not an allowed {vendor} address")


async def read_body(request: Request, settings: Settings) -> str:
    """The body as sent, as text; 413 past the configured limit (without reading it all), 408 when it
    trickles in slower than ``WEBHOOK_READ_TIMEOUT_SECONDS``, 400 if not UTF-8."""
    limit = settings.max_webhook_bytes
    declared = request.headers.get("content-length")
    size = int(declared) if declared and declared.isdigit() else 0
    chunks = []
    if size <= limit:
        size = 0
        try:
            async with asyncio.timeout(settings.webhook_read_timeout_seconds):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        break
                    chunks.append(chunk)
        except TimeoutError:
            raise HTTPException(
                status.HTTP_408_REQUEST_TIMEOUT,
                f"the body did not arrive within {settings.webhook_read_timeout_seconds:g} s",
            ) from None
    if size > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"webhook body is larger than {limit} bytes")
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "webhook body is not UTF-8 text") from None


def check_fresh(sent_at: datetime | None, settings: Settings) -> None:
    """409 for a webhook dated longer ago than ``WEBHOOK_MAX_AGE_DAYS``: a replay of an old capture
    (its dedup key may have been pruned with the inbox).  Undated webhooks are taken as received."""
    if sent_at is not None and sent_at < utcnow() - timedelta(days=settings.webhook_max_age_days):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"the webhook is dated {sent_at.isoformat()}, over {settings.webhook_max_age_days:g} days ago: refused",
        )


def kept_headers(request: Request) -> dict[str, str]:
    return {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}


def remote_addr(request: Request) -> str | None:
    return request.client.host if request.client else None


async def store(
    request: Request,
    *,
    vendor: str,
    path: str,
    key: str,
    body: str,
    error: str | None = None,
    received_at: datetime | None = None,
) -> Stored:
    """Commits the raw webhook to the inbox (or finds the earlier delivery); ``error``: kept unreadable."""
    stored: Stored = await request.app.state.inbox_writer.store(
        vendor=vendor,
        path=path,
        dedup_key=key,
        body=body,
        headers=kept_headers(request),
        remote_addr=remote_addr(request),
        error=error,
        received_at=received_at,
    )
    if error is not None:
        log.warning("inbox item %s kept but unreadable: %s", stored.id, error)
    return stored


def unreadable_key(body: str) -> str:
    return "unreadable:" + hashlib.sha256(body.encode()).hexdigest()
