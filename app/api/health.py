"""Health for whoever runs callfunnel: ``/health/live`` (the process answers: restart it if not),
``/health/ready`` (send it traffic: database reachable, migrations at head, the inbox keeping up,
the scheduler running; 503 naming the check that failed), and ``/health`` as it always was."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app import migrations
from app.deps import DbDep, SettingsDep
from app.inbox import backlog

router = APIRouter(tags=["health"])

DATABASE_TIMEOUT_SECONDS = 5


@router.get("/health")
async def health() -> dict:
    return {"status": "ok"}


@router.get("/health/live")
async def live() -> dict:
    return {"status": "live"}


@router.get("/health/ready", responses={503: {"description": "a check failed: the body says which"}})
async def ready(request: Request, db: DbDep, settings: SettingsDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
            behind, waiting = await db.read(
                lambda s: (migrations.at_head(s), backlog.pending(s, cap=settings.ready_max_backlog))
            )
        checks["database"] = "ok"
        checks["migrations"] = behind or "ok"
        too_many = waiting > settings.ready_max_backlog
        checks["inbox_backlog"] = f"more than {settings.ready_max_backlog} waiting" if too_many else "ok"
    except Exception as exc:  # noqa: BLE001 - whatever it is, the answer is "not ready, because"
        checks["database"] = f"unreachable: {type(exc).__name__}: {exc}"[:300]
    scheduler = getattr(request.app.state, "scheduler", None)
    checks["scheduler"] = "ok" if scheduler is not None and scheduler.running else "not running"
    ok = all(verdict == "ok" for verdict in checks.values())
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)
