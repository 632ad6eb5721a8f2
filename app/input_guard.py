"""The API's front door: a request whose text no part of callfunnel could hold is answered 422
before any handler runs.

For ``/api/``: the path and the query string must be UTF-8 without NUL, and a JSON body must be
JSON callfunnel can store (``schemas.json_text``: finite numbers, valid Unicode, no NUL, bounded
depth) of at most ``MAX_JSON_BYTES`` (413 past that).  The body is read once here and handed on
unchanged; the PBX webhooks (``/pbx/``) read their own bodies, since a signed one is stored even
when it cannot be parsed.
"""

from urllib.parse import unquote_to_bytes

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import validation_response
from schemas.json_text import UnreadableJson, loads

GUARDED_PREFIX = "/api/"
MAX_JSON_BYTES = 1024 * 1024  # an API request's JSON is a few hundred bytes; a list of members a few KiB


class InputGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GUARDED_PREFIX):
            await self.app(scope, receive, send)
            return
        problem = _unreadable_target(scope)
        if problem is not None:
            await validation_response(problem[0], problem[1])(scope, receive, send)
            return
        if not _is_json(scope):
            await self.app(scope, receive, send)
            return
        body, message = await _read_body(receive)
        if body is None:
            too_large = JSONResponse({"detail": f"a JSON body is limited to {MAX_JSON_BYTES} bytes"}, status_code=413)
            await too_large(scope, receive, send)
            return
        if body:
            try:
                loads(body)
            except UnreadableJson as exc:
                await validation_response(("body",), str(exc))(scope, receive, send)
                return
        await self.app(scope, _replay(message, receive), send)


def _unreadable_target(scope: Scope) -> tuple[tuple, str] | None:
    path = scope["path"]
    if "\x00" in path or not _is_unicode(path):
        return ("path",), "the path must be valid Unicode without NUL characters"
    query = scope.get("query_string", b"")
    if query:
        try:
            text = unquote_to_bytes(query.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return ("query",), "the query string must be UTF-8"
        if "\x00" in text:
            return ("query",), "the query string may not contain NUL characters"
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return False


async def _read_body(receive: Receive) -> tuple[bytes | None, Message]:
    """The whole body (None past ``MAX_JSON_BYTES``) and the one message to hand on in its place:
    the body in one piece, or the disconnect that cut it short."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_JSON_BYTES:
            return None, message
        if not message.get("more_body", False):
            return b"".join(chunks), {"type": "http.request", "body": b"".join(chunks), "more_body": False}


def _replay(message: Message, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return message
        return await receive()

    return replayed
