"""The webhook intake, one pipeline for every vendor: source address, body, verification, storage,
acknowledgement (or, for a PBX waiting on it, the routing decision).

The order is the contract: nothing unverified is stored; a verified request is committed to the
inbox before any 2xx; a verified request we cannot read is stored with the reason (and answered
422, unless its vendor must hear success), so it can be replayed after a fix.
"""

from collections.abc import Awaitable, Callable
from dataclasses import replace

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response

from app.database import utcnow
from app.pbx.intake import check_fresh, check_source, read_body, store, unreadable_key
from app.pbx.routed import store_and_route
from telephony import PayloadError
from telephony.vendor import Answer, Endpoint, Incoming, Refused, Vendor


def webhook_router(vendors: dict[str, Vendor]) -> APIRouter:
    """Every endpoint of every registered vendor, each running ``receive``."""
    router = APIRouter(tags=["pbx webhooks"])
    for vendor in vendors.values():
        for endpoint in vendor.endpoints:
            for method in endpoint.methods:  # one route per method: each its own operation id
                router.add_api_route(
                    endpoint.path,
                    _handler(vendor, endpoint),
                    methods=[method],
                    summary=f"{vendor.title}: {endpoint.name}",
                    description=endpoint.summary,
                    response_class=Response,
                    openapi_extra=endpoint.openapi or None,
                    name=f"{vendor.name}_{endpoint.name}_{method.lower()}",
                )
    return router


def _handler(vendor: Vendor, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        answer = await receive(request, vendor, endpoint)
        return Response(answer.body, status_code=answer.status, media_type=answer.media_type)

    return handle


async def receive(request: Request, vendor: Vendor, endpoint: Endpoint) -> Answer:
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
            return early
        check_source(request, settings, vendor.name)
        if not vendor.configured():
            raise Refused(status.HTTP_403_FORBIDDEN, vendor.unconfigured_reason())
        webhook = vendor.verify(replace(incoming, body=await read_body(request, settings)))
    except Refused as refusal:
        raise HTTPException(refusal.status, refusal.detail) from None
    if isinstance(webhook, Answer):
        return webhook
    try:
        reading = vendor.read(webhook, received_at=utcnow())
    except PayloadError as exc:
        key = unreadable_key(webhook.body)
        stored = await store(request, vendor=vendor.name, path=webhook.path, key=key, body=webhook.body, error=str(exc))
        answer = vendor.unreadable(inbox_id=stored.id, error=str(exc))
        if answer is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, f"{exc} (kept as inbox item {stored.id} for replay)"
            ) from None
        return answer
    check_fresh(reading.sent_at, settings)
    if not reading.asks_route:
        stored = await store(request, vendor=vendor.name, path=webhook.path, key=reading.key, body=webhook.body)
        return vendor.acknowledge(inbox_id=stored.id, duplicate=stored.duplicate)
    stored, reply = await store_and_route(request, vendor=vendor, webhook=webhook, reading=reading)
    return vendor.routed(inbox_id=stored.id, duplicate=stored.duplicate, reply=reply)
