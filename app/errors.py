"""Domain errors carry their HTTP status; one handler turns them into ``{"detail": ...}``."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class AppError(Exception):
    status_code = 400
    extra: dict = {}  # more fields for the response body (e.g. the rows an import rejected)

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(AppError):
    status_code = 404


class Forbidden(AppError):
    status_code = 403


class Conflict(AppError):
    status_code = 409


class Unprocessable(AppError):
    """Well-formed input that cannot be used (a number that is not a phone number, a stage of another pipeline)."""

    status_code = 422


def install_error_handler(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _handle(_request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail, **exc.extra}, status_code=exc.status_code)
