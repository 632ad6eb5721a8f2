import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.auth.deps import Supervisor
from app.database import as_utc
from app.deps import DbDep
from app.reports import funnel

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.get("/funnel")
async def funnel_report(
    request: Request,
    db: DbDep,
    _user: Supervisor,
    pipeline_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    by: Literal["manager"] | None = None,
    format_: Annotated[Literal["json", "csv"] | None, Query(alias="format")] = None,
):
    """Conversion into each stage (per manager with ``by=manager``) against its target, the deals of
    the period from ``since`` (default: 7 days ago) to ``until`` (default: now); coaching pairs where a
    manager is below target. ``?format=csv`` or ``Accept: text/csv`` for a spreadsheet."""
    until = as_utc(until) if until else datetime.now(UTC)
    since = as_utc(since) if since else until - timedelta(days=7)
    result = await db.read(
        lambda s: funnel.report(
            session=s, pipeline_id=pipeline_id, since=since, until=until, by_manager=by == "manager"
        )
    )
    if format_ == "csv" or (format_ is None and "text/csv" in request.headers.get("accept", "")):
        return _csv(funnel.csv_rows(result), "funnel.csv")
    return result


def _csv(rows: list[list], filename: str) -> Response:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
