"""Every request gets an id: the caller's ``X-Request-ID`` when it is a sane one, else a new one;
it is returned in ``X-Request-ID`` and carried by every log line written while serving it."""

import itertools
import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.log_format import request_id

HEADER = b"x-request-id"
_SANE = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
# A process's ids: a random prefix and a counter (a uuid4 per request drew on the kernel's random
# source every time: 5 % of the intake's time under load).
_PREFIX = secrets.token_hex(8)
_NUMBERS = itertools.count(1)


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = next((value for name, value in scope["headers"] if name == HEADER), b"")
        current = given.decode() if _SANE.match(given) else f"{_PREFIX}{next(_NUMBERS):016x}"
        token = request_id.set(current)

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (HEADER, current.encode())]
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            request_id.reset(token)
