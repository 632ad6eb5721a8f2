"""A local fake of where PBXs keep recordings, speaking their documented wire formats:

- MANGO ``POST /vpbx/queries/recording/post`` (signed form, ``{"recording_id", "action": "download"}``)
  answers 302 to a one-time link on its storage host, or ``{"result": 3320}`` for an unknown id;
- Zadarma ``GET /v1/pbx/record/request/?call_id=`` (signed ``Authorization``) answers
  ``{"status": "success", "link": ...}`` with a one-time link;
- Sipuni's ``https://sipuni.com/api/crm/record?id=…&hash=…`` and any host a generic PBX names
  serve the file directly (``redirects`` sends one URL on to another).

It runs as an ``httpx`` transport (any host name), counts every request, and can fail the way a
network does: ``mode`` ``down`` (connection refused), ``hang`` (never answers), ``cut`` (the
body stops halfway with the error httpx raises for a dropped connection).
"""

import asyncio
import contextlib
import functools
import http.server
import io
import itertools
import json
import threading
import wave
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx

from telephony.mango import webhooks as mango
from telephony.zadarma import api as zadarma_api
from tests.support.app import MANGO_KEY, MANGO_SALT, ZADARMA_SECRET
from tests.support.pbx_api import ZADARMA_KEY

MANGO_STORAGE = "https://storage.mango.fake/records/"
ZADARMA_STORAGE = "https://storage.zadarma.fake/"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def file_host(folder: Path):
    """Plain HTTP on loopback serving ``folder``: a generic PBX's recording store, for the live
    servers of the console's tests and the benchmark (which cannot take an httpx transport)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A small mono WAV of a rising tone, as the standard ``wave`` module writes it."""
    frames = bytes((i * 7) % 256 for i in range(int(seconds * rate)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


class _Cut(httpx.AsyncByteStream):
    def __init__(self, content: bytes) -> None:
        self._content = content

    async def __aiter__(self):
        yield self._content[: len(self._content) // 2]
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


class FakeRecordingStore(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}  # vendor id or URL -> (content, content type)
        self.redirects: dict[str, str] = {}
        self.requests: Counter = Counter()  # "mango-api", "zadarma-api", "file", ...
        self.mode: str | None = None
        self.delay = 0.0  # before each answer
        self._links: dict[str, str] = {}
        self._tokens = itertools.count(1)

    def add(self, key: str, content: bytes, content_type: str = "audio/wav") -> None:
        self.files[key] = (content, content_type)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if self.mode == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "hang":
            await asyncio.sleep(3600)
        await asyncio.sleep(self.delay)
        if request.url.path == "/vpbx/queries/recording/post":
            return await self._mango(request)
        if request.url.path.rstrip("/") == "/v1/pbx/record/request":
            return self._zadarma(request)
        if url in self.redirects:
            self.requests["redirect"] += 1
            return httpx.Response(302, headers={"location": self.redirects[url]}, request=request)
        self.requests["file"] += 1
        key = self._links.pop(url, None) if url.startswith((MANGO_STORAGE, ZADARMA_STORAGE)) else url
        if key not in self.files:
            return httpx.Response(404, text="no such file", request=request)
        content, content_type = self.files[key]
        headers = {"content-type": content_type, "content-length": str(len(content))}
        if self.mode == "cut":
            return httpx.Response(200, headers=headers, stream=_Cut(content), request=request)
        return httpx.Response(200, headers=headers, content=content, request=request)

    async def _mango(self, request: httpx.Request) -> httpx.Response:
        self.requests["mango-api"] += 1
        form = dict(parse_qsl((await request.aread()).decode()))
        if form.get("vpbx_api_key") != MANGO_KEY or form.get("sign") != mango.sign(MANGO_KEY, MANGO_SALT, form["json"]):
            return httpx.Response(401, json={"result": 3102}, request=request)
        payload = json.loads(form["json"])
        if payload.get("action") != "download" or payload.get("recording_id") not in self.files:
            return httpx.Response(200, json={"result": 3320}, request=request)
        return httpx.Response(
            302, headers={"location": self._link(MANGO_STORAGE, payload["recording_id"])}, request=request
        )

    def _zadarma(self, request: httpx.Request) -> httpx.Response:
        self.requests["zadarma-api"] += 1
        params = dict(request.url.params)
        path = urlsplit(str(request.url)).path
        expected = f"{ZADARMA_KEY}:{zadarma_api.signature(secret=ZADARMA_SECRET, path=path, params=params)}"
        if request.headers.get("authorization") != expected:
            return httpx.Response(401, json={"status": "error", "message": "Not authorized"}, request=request)
        if params.get("call_id") not in self.files:
            return httpx.Response(404, json={"status": "error", "message": "Record not found"}, request=request)
        link = self._link(ZADARMA_STORAGE, params["call_id"])
        return httpx.Response(
            200, json={"status": "success", "link": link, "lifetime_till": "2030-01-01 00:00:00"}, request=request
        )

    def _link(self, storage: str, key: str) -> str:
        link = f"{storage}{next(self._tokens)}-one-time-secret"
        self._links[link] = key
        return link
