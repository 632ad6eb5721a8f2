"""Zadarma's one webhook URL: ``GET``/``POST /pbx/zadarma``.

``zd_echo`` (the URL check when the link is saved in the cabinet) is echoed on either method.
``NOTIFY_START`` and ``NOTIFY_IVR`` are answered with the routing decision; every other
notification is stored and acknowledged like any webhook.
"""

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import PlainTextResponse, Response

from app.database import utcnow
from app.pbx.intake import check_fresh, check_source, read_body, store, unreadable_key
from app.pbx.routed import store_and_route
from app.settings import Settings
from telephony import PayloadError, zadarma

router = APIRouter(tags=["pbx webhooks"])


@router.get("/pbx/zadarma", response_class=PlainTextResponse)
async def zadarma_echo(zd_echo: str) -> str:
    """Answers the cabinet's URL check with the value it sent."""
    return zd_echo


_REPLIES = {
    200: {
        "description": "``ok``/``duplicate`` as text; for NOTIFY_START and NOTIFY_IVR the routing decision as JSON",
        "content": {"text/plain": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}}},
    }
}


@router.post("/pbx/zadarma", response_class=Response, responses=_REPLIES)
async def zadarma_webhook(request: Request) -> Response:
    echo = request.query_params.get("zd_echo")
    if echo is not None:
        return PlainTextResponse(echo)
    settings: Settings = request.app.state.settings
    check_source(request, settings, zadarma.VENDOR)
    body = await read_body(request, settings)
    form = _verified_form(request, body, settings)
    try:
        key = zadarma.dedup_key(form)
        events = zadarma.parse(form, received_at=utcnow(), timezone=settings.timezone)
        sent_at = zadarma.sent_at(form, timezone=settings.timezone)
    except PayloadError as exc:
        return await store(
            request, vendor=zadarma.VENDOR, path="notify", key=unreadable_key(body), body=body, error=str(exc)
        )
    check_fresh(sent_at, settings)
    if form["event"] not in zadarma.SYNC_EVENTS:
        stored = await store(request, vendor=zadarma.VENDOR, path="notify", key=key, body=body, error=None)
        return PlainTextResponse("duplicate" if stored["status"] == "duplicate" else "ok")
    _, reply = await store_and_route(
        request,
        vendor=zadarma.VENDOR,
        path="notify",
        key=key,
        body=body,
        events=events,
        render=zadarma.reply,
        max_targets=zadarma.MAX_TARGETS,
    )
    return Response(reply, media_type="application/json") if reply else PlainTextResponse("")


def _verified_form(request: Request, body: str, settings: Settings) -> dict[str, str]:
    """403 unconfigured, 400 malformed or unsigned, 401 wrongly signed."""
    if not settings.zadarma_secret:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "Zadarma webhooks are not configured (CALLFUNNEL_ZADARMA_SECRET)"
        )
    signature = request.headers.get(zadarma.SIGNATURE_HEADER)
    if not signature:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"missing {zadarma.SIGNATURE_HEADER} header")
    try:
        form = zadarma.parse_form(body)
    except PayloadError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if not zadarma.signature_valid(signature, form, secret=settings.zadarma_secret):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"wrong {zadarma.SIGNATURE_HEADER}")
    return form
