"""Headers every response carries: no content sniffing (``/pbx/zadarma?zd_echo=<script>`` is
echoed as plain text and must stay text), no referrer, and no framing.  The console's pages add a
Content-Security-Policy: scripts, styles and sockets from this origin only, no inline script, no
framing; it is scoped to them so that ``/docs`` (which loads its own scripts) keeps working."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
CONSOLE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
CONSOLE_HEADERS = [
    (b"content-security-policy", CONSOLE_POLICY.encode()),
    (b"cache-control", b"no-cache"),  # revalidated (ETag) on every load: an upgrade shows at once
]


def is_console(path: str) -> bool:
    return path == "/" or path.startswith("/console/")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*SECURITY_HEADERS, *(CONSOLE_HEADERS if is_console(scope["path"]) else ())]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
