"""What every PBX webhook goes through before a vendor looks at it: source address, size, text.

Plain functions rather than FastAPI dependencies: intake is the hot path, and resolving a
chain of dependencies cost about a fifth of its CPU per webhook.
"""

import asyncio
import hashlib
import logging
from datetime import datetime, timedelta
from ipaddress import ip_address

from fastapi import HTTPException, Request, status

from app.database import utcnow
from app.inbox.writer import Stored
from app.settings import Settings

log = logging.getLogger(__name__)

KEPT_HEADERS = ("content-type", "user-agent", "x-forwarded-for", "x-real-ip", "signature", "x-callfunnel-signature")


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


async def store(request: Request, *, vendor: str, path: str, key: str, body: str, error: str | None = None) -> Stored:
    """Commits the raw webhook to the inbox (or finds the earlier delivery); ``error``: kept unreadable."""
    stored: Stored = await request.app.state.inbox_writer.store(
        vendor=vendor,
        path=path,
        dedup_key=key,
        body=body,
        headers=kept_headers(request),
        remote_addr=remote_addr(request),
        error=error,
    )
    if error is not None:
        log.warning("inbox item %s kept but unreadable: %s", stored.id, error)
    return stored


def unreadable_key(body: str) -> str:
    return "unreadable:" + hashlib.sha256(body.encode()).hexdigest()
