"""Webhook endpoints: verify the signature, store the raw request, acknowledge.

The order is the contract: nothing unsigned is stored; a signed request is committed to the
inbox before any 2xx; a signed request we cannot read is stored with the reason and answered
422, so it can be replayed after a fix.
"""

import json
import logging

from fastapi import APIRouter, HTTPException, Request, status

from app.database import utcnow
from app.pbx.intake import check_fresh, check_source, read_body, store, unreadable_key
from app.pbx.routed import store_and_route
from app.settings import Settings
from telephony import PayloadError, generic, mango

log = logging.getLogger(__name__)
router = APIRouter(tags=["pbx webhooks"])

_MANGO_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": list(mango.FORM_FIELDS),
                    "properties": {
                        "vpbx_api_key": {"type": "string"},
                        "sign": {"type": "string", "description": "sha256(key + json + salt)"},
                        "json": {"type": "string", "description": "the notification, compact JSON"},
                    },
                }
            }
        },
    }
}
_GENERIC_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["event", "call_id"],
                    "properties": {
                        "event": {"type": "string", "enum": list(generic.EVENTS)},
                        "call_id": {"type": "string"},
                    },
                }
            }
        },
    }
}


def verified_mango_form(body: str, settings: Settings) -> dict[str, str]:
    """The form, once its key and signature check out (403 unconfigured, 400 malformed, 401 wrong)."""
    if not (settings.mango_api_key and settings.mango_api_salt):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "MANGO webhooks are not configured (CALLFUNNEL_MANGO_API_KEY/_SALT)"
        )
    try:
        form = mango.parse_form(body)
    except PayloadError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if not mango.signature_valid(form, api_key=settings.mango_api_key, salt=settings.mango_api_salt):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong vpbx_api_key or sign")
    return form


def verify_generic(request: Request, body: str, settings: Settings) -> None:
    """403 unconfigured, 400 without a signature, 401 with a wrong one."""
    if not settings.generic_secret:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "generic PBX webhooks are not configured (CALLFUNNEL_GENERIC_SECRET)"
        )
    signature = request.headers.get(generic.SIGNATURE_HEADER)
    if not signature:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"missing {generic.SIGNATURE_HEADER} header")
    if not generic.signature_valid(signature, body.encode(), secret=settings.generic_secret):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"wrong {generic.SIGNATURE_HEADER}")


@router.post("/pbx/mango/{path:path}", openapi_extra=_MANGO_FORM)
async def mango_webhook(path: str, request: Request) -> dict:
    """Any notification MANGO OFFICE posts under the base URL: ``events/...`` and ``result/...``."""
    settings = request.app.state.settings
    check_source(request, settings, mango.VENDOR)
    body = await read_body(request, settings)
    form = verified_mango_form(body, settings)
    path = path.strip("/")
    if not path.startswith(("events/", "result/")):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"MANGO does not post to {path!r}")
    try:
        payload = mango.load_payload(form["json"])
        key = mango.dedup_key(path, payload)
        mango.parse(path, payload)
        sent_at, error = mango.sent_at(payload), None
    except PayloadError as exc:
        key, sent_at, error = unreadable_key(body), None, str(exc)
    check_fresh(sent_at, settings)
    return await store(request, vendor=mango.VENDOR, path=path, key=key, body=body, error=error)


@router.post("/pbx/generic/events", openapi_extra=_GENERIC_BODY)
async def generic_webhook(request: Request) -> dict:
    """callfunnel's own protocol (README, "Generic PBX protocol"), signed in the X-Callfunnel-Signature header."""
    settings = request.app.state.settings
    check_source(request, settings, generic.VENDOR)
    body = await read_body(request, settings)
    verify_generic(request, body, settings)
    try:
        payload = generic.load_payload(body.encode())
        key = generic.dedup_key(payload)
        events = generic.parse(payload, received_at=utcnow())
        sent_at = generic.sent_at(payload)
    except PayloadError as exc:
        return await store(
            request, vendor=generic.VENDOR, path="events", key=unreadable_key(body), body=body, error=str(exc)
        )
    check_fresh(sent_at, settings)
    if payload.get("event") not in generic.SYNC_EVENTS:
        return await store(request, vendor=generic.VENDOR, path="events", key=key, body=body, error=None)
    stored, reply = await store_and_route(
        request,
        vendor=generic.VENDOR,
        path="events",
        key=key,
        body=body,
        events=events,
        render=generic.reply,
        asks_again=True,
    )
    return {
        "status": "duplicate" if stored.duplicate else "accepted",
        "inbox_id": stored.id,
        "route": json.loads(reply),
    }
