from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from app.auth.deps import Supervisor
from app.deps import DbDep, SettingsDep
from app.reports import calls, funnel
from app.reports.period import period, wants_csv
from app.spreadsheet import CSV_RESPONSE, csv_response
from schemas.common import Id, Moment

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.get("/funnel", responses=CSV_RESPONSE)
async def funnel_report(
    request: Request,
    db: DbDep,
    _user: Supervisor,
    pipeline_id: Id | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    by: Literal["manager"] | None = None,
    format_: Annotated[Literal["json", "csv"] | None, Query(alias="format")] = None,
):
    """Conversion into each stage (per manager with ``by=manager``) against its target, the deals of
    the period from ``since`` (default: 7 days ago) to ``until`` (default: now); coaching pairs where a
    manager is below target. ``?format=csv`` or ``Accept: text/csv`` for a spreadsheet."""
    since, until = period(since, until)
    result = await db.read(
        lambda s: funnel.report(
            session=s, pipeline_id=pipeline_id, since=since, until=until, by_manager=by == "manager"
        )
    )
    if wants_csv(request, format_):
        return csv_response(funnel.csv_rows(result), "funnel.csv")
    return result


@router.get("/calls", responses=CSV_RESPONSE)
async def calls_report(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    _user: Supervisor,
    since: Moment | None = None,
    until: Moment | None = None,
    by: Literal["queue", "operator", "day"] = "queue",
    format_: Annotated[Literal["json", "csv"] | None, Query(alias="format")] = None,
):
    """Offered, answered, missed and abandoned inbound calls, service level (20 s), average speed of
    answer, abandonment rate, first-contact resolution and repeat calls (``FCR_DAYS``) per queue,
    operator or day, and the callbacks' figures; the definitions come with the answer."""
    since, until = period(since, until)
    result = await db.read(
        lambda s: calls.report(
            session=s, since=since, until=until, by=by, timezone=settings.timezone, fcr_days=settings.fcr_days
        )
    )
    if wants_csv(request, format_):
        return csv_response(calls.csv_rows(result), "calls.csv")
    return result
