"""Zadarma's REST API, for what we send: ``GET /v1/request/callback/`` (click-to-call) and
``GET /v1/pbx/record/request/`` (a recording's link).

Requests carry ``Authorization: <key>:<signature>``, the signature being base64 of the hex
HMAC-SHA1 (keyed with the API secret) of path + sorted query + md5(sorted query), as the
official SDK computes it (``docs/pbx-formats.md`` §2.2).
"""

import base64
import hashlib
import hmac
from contextlib import asynccontextmanager
from urllib.parse import urlencode

import httpx

from telephony.recordings import RecordingMissing, RecordingRef, RecordingUnavailable, on_the_web, streamed
from telephony.vendor import Command, Reply


def signature(*, secret: str, path: str, params: dict[str, str]) -> str:
    query = urlencode(sorted(params.items()))
    message = path + query + hashlib.md5(query.encode()).hexdigest()
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode()).decode()


class ZadarmaClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        secret: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._key, self._secret = api_key, secret
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)

    async def send(self, command: Command) -> Reply:
        if command.kind != "callback":
            return Reply(ok=False, retry=False, detail=f"Zadarma takes no {command.kind} command")
        return await self.callback(from_=command.target, to=command.to_number)

    async def callback(self, *, from_: str, to: str) -> Reply:
        """The PBX rings ``from_`` (the operator's extension) first, then ``to`` (the client)."""
        return await self._get("/v1/request/callback/", {"from": from_, "to": to})

    async def close(self) -> None:
        await self._http.aclose()

    async def _get(self, path: str, params: dict[str, str]) -> Reply:
        try:
            response = await self._signed_get(path, params)
        except httpx.TransportError as exc:
            return Reply(ok=False, retry=True, detail=f"{type(exc).__name__}: {exc}")
        if response.status_code == 429 or response.status_code >= 500:
            return Reply(ok=False, retry=True, detail=f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        ok = response.status_code == 200 and body.get("status") == "success"
        detail = f"HTTP {response.status_code}: {body.get('message') or body.get('status')}"
        return Reply(ok=ok, retry=False, detail=detail, final=True)  # Zadarma sends no result webhook

    async def _signed_get(self, path: str, params: dict[str, str]) -> httpx.Response:
        auth = f"{self._key}:{signature(secret=self._secret, path=path, params=params)}"
        return await self._http.get(path, params=sorted(params.items()), headers={"Authorization": auth})

    @asynccontextmanager
    async def open(self, ref: RecordingRef):
        """A recording (``call_id_with_rec``): the API answers with a link, fetched at once."""
        try:
            response = await self._signed_get("/v1/pbx/record/request/", {"call_id": ref.external_id})
        except httpx.TransportError as exc:
            raise RecordingUnavailable(type(exc).__name__) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        link = body.get("link")
        if response.status_code == 200 and body.get("status") == "success" and isinstance(link, str):
            async with streamed(self._http, link, allowed=on_the_web) as audio:
                yield audio
            return
        if response.status_code in (400, 404) or "not found" in str(body.get("message", "")).lower():
            raise RecordingMissing(f"HTTP {response.status_code}")
        raise RecordingUnavailable(f"HTTP {response.status_code}")
