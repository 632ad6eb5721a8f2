"""Local fakes of the PBX APIs callfunnel calls, speaking their documented wire formats.

They check what a real PBX checks (MANGO: ``sign`` over the form; Zadarma: the
``Authorization`` signature), record every request, and answer what the test scripts.
"""

import json
from collections import deque
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from telephony.mango import webhooks as mango
from telephony.zadarma import api as zadarma_api
from tests.support.app import MANGO_KEY, MANGO_SALT, ZADARMA_SECRET

ZADARMA_KEY = "test-zadarma-key"


class FakePbxApis:
    """MANGO's ``/vpbx/...`` and Zadarma's ``/v1/...`` on one loopback ASGI app."""

    def __init__(self) -> None:
        self.mango_commands: list[tuple[str, dict]] = []
        self.zadarma_requests: list[tuple[str, dict]] = []
        self.scripted: deque = deque()  # what to answer next: a Response, or an exception to raise
        self.app = FastAPI()
        self.app.post("/vpbx/{path:path}")(self._mango)
        self.app.get("/v1/{path:path}")(self._zadarma)

    def transport(self) -> httpx.AsyncBaseTransport:
        return _ScriptedTransport(self)

    def answer_next(self, *responses) -> None:
        self.scripted.extend(responses)

    async def _mango(self, path: str, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        if form.get("vpbx_api_key") != MANGO_KEY or form.get("sign") != mango.sign(MANGO_KEY, MANGO_SALT, form["json"]):
            return JSONResponse({"result": 3102}, status_code=401)
        self.mango_commands.append((path, json.loads(form["json"])))
        return JSONResponse({"result": 1000})

    async def _zadarma(self, path: str, request: Request) -> Response:
        params = dict(request.query_params)
        expected = f"{ZADARMA_KEY}:{zadarma_api.signature(secret=ZADARMA_SECRET, path='/v1/' + path, params=params)}"
        if request.headers.get("authorization") != expected:
            return JSONResponse({"status": "error", "message": "Not authorized"}, status_code=401)
        self.zadarma_requests.append((path, params))
        return JSONResponse({"status": "success", "from": params.get("from"), "to": params.get("to")})


class _ScriptedTransport(httpx.AsyncBaseTransport):
    """The fake app behind an ASGI transport, with scripted failures (HTTP errors, dropped connections)."""

    def __init__(self, fake: FakePbxApis) -> None:
        self._fake = fake
        self._asgi = httpx.ASGITransport(app=fake.app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._fake.scripted:
            scripted = self._fake.scripted.popleft()
            if isinstance(scripted, Exception):
                raise scripted
            if scripted is not None:
                return httpx.Response(scripted[0], json=scripted[1], request=request)
        return await self._asgi.handle_async_request(request)
