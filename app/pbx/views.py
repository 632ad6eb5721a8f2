"""Webhook endpoints: verify the signature, store the raw request, acknowledge.

The order is the contract: nothing unsigned is stored; a signed request is committed to the
inbox before any 2xx; a signed request we cannot read is stored with the reason and answered
422, so it can be replayed after a fix.
"""

import hashlib
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status

from app.deps import SettingsDep
from app.inbox.writer import InboxWriter, Stored
from app.pbx.intake import BodyText, allowed_source, kept_headers, remote_addr
from app.database import utcnow
from telephony import PayloadError, generic, mango

log = logging.getLogger(__name__)
router = APIRouter(tags=["pbx webhooks"])


def get_inbox(request: Request) -> InboxWriter:
    return request.app.state.inbox_writer


InboxDep = Annotated[InboxWriter, Depends(get_inbox)]


def verified_mango_form(body: BodyText, settings: SettingsDep) -> dict[str, str]:
    if not (settings.mango_api_key and settings.mango_api_salt):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "MANGO webhooks are not configured (CALLFUNNEL_MANGO_API_KEY/_SALT)")
    try:
        form = mango.parse_form(body)
    except PayloadError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if not mango.signature_valid(form, api_key=settings.mango_api_key, salt=settings.mango_api_salt):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong vpbx_api_key or sign")
    return form


@router.post("/pbx/mango/{path:path}", dependencies=[Depends(allowed_source(mango.VENDOR))])
async def mango_webhook(path: str, request: Request, body: BodyText, inbox: InboxDep,
                        form: Annotated[dict[str, str], Depends(verified_mango_form)]) -> dict:
    """Any notification MANGO OFFICE posts under the base URL: ``events/...`` and ``result/...``."""
    path = path.strip("/")
    if not path.startswith(("events/", "result/")):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"MANGO does not post to {path!r}")
    try:
        payload = mango.load_payload(form["json"])
        key = mango.dedup_key(path, payload)
        mango.parse(path, payload)
        error = None
    except PayloadError as exc:
        key, error = _unreadable_key(body), str(exc)
    stored = await inbox.store(vendor=mango.VENDOR, path=path, dedup_key=key, body=body,
                               headers=kept_headers(request), remote_addr=remote_addr(request), error=error)
    return _acknowledge(stored, error)


@router.post("/pbx/generic/events", dependencies=[Depends(allowed_source(generic.VENDOR))])
async def generic_webhook(request: Request, body: BodyText, inbox: InboxDep, settings: SettingsDep,
                          signature: Annotated[str | None, Header(alias=generic.SIGNATURE_HEADER)] = None) -> dict:
    """callfunnel's own protocol (see README, "Generic PBX protocol")."""
    if not settings.generic_secret:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "generic PBX webhooks are not configured (CALLFUNNEL_GENERIC_SECRET)")
    if not signature:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"missing {generic.SIGNATURE_HEADER} header")
    raw = body.encode()
    if not generic.signature_valid(signature, raw, secret=settings.generic_secret):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"wrong {generic.SIGNATURE_HEADER}")
    try:
        payload = generic.load_payload(raw)
        key = generic.dedup_key(payload)
        generic.parse(payload, received_at=utcnow())
        error = None
    except PayloadError as exc:
        key, error = _unreadable_key(body), str(exc)
    stored = await inbox.store(vendor=generic.VENDOR, path="events", dedup_key=key, body=body,
                               headers=kept_headers(request), remote_addr=remote_addr(request), error=error)
    return _acknowledge(stored, error)


def _unreadable_key(body: str) -> str:
    return "unreadable:" + hashlib.sha256(body.encode()).hexdigest()


def _acknowledge(stored: Stored, error: str | None) -> dict:
    if error is not None:
        log.warning("inbox item %s kept but unreadable: %s", stored.id, error)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{error} (kept as inbox item {stored.id} for replay)")
    return {"status": "duplicate" if stored.duplicate else "accepted", "inbox_id": stored.id}
