"""Domain errors carry their HTTP status; one handler turns them into ``{"detail": ...}``."""

import json
import logging
import re

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)
OUTAGE_RETRY_AFTER_SECONDS = 5


class AppError(Exception):
    status_code = 400
    extra: dict = {}  # more fields for the response body (e.g. the rows an import rejected)
    headers: dict = {}

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(AppError):
    status_code = 404


class Forbidden(AppError):
    status_code = 403


class Conflict(AppError):
    status_code = 409


class Unauthorized(AppError):
    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


class TooManyRequests(AppError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after)}


class Unprocessable(AppError):
    """Well-formed input that cannot be used (a number that is not a phone number, a stage of another pipeline)."""

    status_code = 422


def install_error_handler(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _handle(_request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail, **exc.extra}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": [_renderable(error) for error in exc.errors()]}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405 and (documented := _allowed_methods(request)):
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(documented)}
        return await http_exception_handler(request, exc)

    @app.exception_handler(DataError)
    async def _unfit(request: Request, exc: DataError) -> JSONResponse:
        """A value the database's column cannot hold (a number past an INTEGER on PostgreSQL) that the
        checks before it missed: refused, nothing written.  A webhook keeps its 500, so the PBX sends
        it again rather than taking a 4xx as final."""
        if not request.url.path.startswith("/api/"):
            raise exc
        log.warning("%s %s: a value the database cannot hold: %s", request.method, request.url.path, exc.orig)
        return JSONResponse({"detail": "a value is out of the range the database can hold"}, status_code=422)

    @app.exception_handler(IntegrityError)
    async def _conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        """A constraint the checks before it missed (two requests racing for one name): the
        transaction is rolled back, nothing was written.  Webhooks keep their 500 (see ``_unfit``)."""
        if not request.url.path.startswith("/api/"):
            raise exc
        log.info("%s %s: refused by a constraint: %s", request.method, request.url.path, exc.orig)
        return JSONResponse(
            {"detail": "this conflicts with what is stored (a duplicate or a missing reference)"}, status_code=409
        )


def _allowed_methods(request: Request) -> list[str]:
    """Every method the API documents at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        for method, operation in operations.items():
            if re.fullmatch(_path_pattern(template, operation), request.url.path):
                methods.add(method.upper())
    return sorted(methods)


def _path_pattern(template: str, operation: dict) -> str:
    """``/api/calls/{call_id}`` as a regular expression: an integer parameter matches digits only."""
    numeric = {
        p["name"] for p in operation.get("parameters", ()) if p["in"] == "path" and p["schema"].get("type") == "integer"
    }
    parts = re.split(r"\{([^}]+)\}", template)
    return "".join(
        re.escape(part) if i % 2 == 0 else ("-?[0-9]+" if part in numeric else "[^/]+") for i, part in enumerate(parts)
    )


def validation_response(loc: tuple, reason: str) -> JSONResponse:
    """A 422 shaped like FastAPI's own, for input refused before it reaches a handler."""
    return JSONResponse({"detail": [{"type": "value_error", "loc": list(loc), "msg": reason}]}, status_code=422)


def _renderable(error: dict) -> dict:
    """A validation error as JSON can carry it: the offending input is dropped when it cannot be
    rendered (an infinite number, a lone surrogate), the reason stays."""
    shown = {"type": error["type"], "loc": list(error["loc"]), "msg": error["msg"]}
    for key in ("input", "ctx"):
        if key in error:
            try:
                value = jsonable_encoder(error[key], custom_encoder={Exception: str})
                json.dumps(value, allow_nan=False).encode("utf-8")
            except (TypeError, ValueError, UnicodeEncodeError):
                continue
            shown[key] = value
    return shown


def install_outage_handler(app: FastAPI) -> None:
    """The database out of reach: 503 with ``Retry-After`` (a PBX or client sends again later, and
    nothing was half-written: each unit of work is one transaction), and reconciliation is told,
    so the PBX's call history fills the gap once the database is back."""

    async def _handle(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, DBAPIError) and not exc.connection_invalidated and not _is_connection_error(exc):
            raise exc
        log.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
        reconciler = getattr(request.app.state, "reconciler", None)
        if reconciler is not None:
            reconciler.outage_seen()
        return JSONResponse(
            {"detail": "the database is unavailable; retry shortly"},
            status_code=503,
            headers={"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)},
        )

    for kind in (DBAPIError, PoolTimeout, ConnectionError):  # ConnectionError: a refused connect (asyncpg)
        app.add_exception_handler(kind, _handle)


def _is_connection_error(exc: DBAPIError) -> bool:
    """Lost or refused connections (PostgreSQL stopped, network gone), as opposed to a bad statement."""
    text = f"{type(exc.orig).__name__} {exc.orig}".lower()
    return any(word in text for word in ("connect", "closed", "terminat", "shutdown", "refused", "unavailable"))
