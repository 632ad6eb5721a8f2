"""Serves the console: its page at ``/`` and its files under ``/console/`` (no build step, no CDN:
plain ES modules, so a closed network runs it as it is)."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
PREFIX = "/console"


def install(app: FastAPI) -> None:
    app.mount(PREFIX, StaticFiles(directory=STATIC), name="console")

    @app.get("/", include_in_schema=False)
    async def console() -> FileResponse:
        return FileResponse(STATIC / "index.html")
