"""Active sales' team: monthly plans (supervisors), pay rules (admins) and the month's results
with the variable pay."""

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status

from app.auth.deps import Admin, CallCenterUser, Supervisor
from app.database import utcnow
from app.deps import DbDep, SettingsDep
from app.reports.period import wants_csv
from app.spreadsheet import CSV_RESPONSE, csv_response
from app.team import plans, report, today
from app.team.models import PayRule
from app.team.money import kopecks, roubles
from schemas.common import Id
from schemas.team import Month, PayRuleIn, PayRuleOut, PlanIn, PlanOut, TeamRole

router = APIRouter(prefix="/api", tags=["team"])
MONEY_PARTS = ("fixed", "per_confirmed_contact", "per_meeting", "bonus_at_plan", "bonus_at_team_plan")


@router.get("/plans", response_model=list[PlanOut])
async def list_plans(db: DbDep, settings: SettingsDep, user: CallCenterUser, month: Month | None = None):
    """The month's plans (default: this month); an operator sees their own."""
    month = month or report.current_month(settings.tz)
    return await db.read(lambda s: plans.plans_of(session=s, month=month, viewer=user))


@router.put("/plans", response_model=PlanOut)
async def put_plan(body: PlanIn, db: DbDep, _user: Supervisor):
    """Sets a person's plan for a month and team role (replacing the one there was)."""
    return await db.run(lambda s: plans.set_plan(session=s, **body.model_dump(), now=utcnow()))


@router.delete("/plans/{plan_id:id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_plan(plan_id: Id, db: DbDep, _user: Supervisor) -> None:
    await db.run(lambda s: plans.delete_plan(session=s, plan_id=plan_id))


@router.get("/pay-rules", response_model=list[PayRuleOut])
async def list_pay_rules(db: DbDep, _user: CallCenterUser):
    rules = await db.read(lambda s: plans.pay_rules(session=s))
    return [_shown(rule) for rule in rules.values()]


@router.put("/pay-rules/{team_role}", response_model=PayRuleOut)
async def put_pay_rule(team_role: TeamRole, body: PayRuleIn, db: DbDep, admin: Admin):
    """Replaces what the role is paid for its results."""
    parts = {f"{name}_kopecks": kopecks(getattr(body, name)) for name in MONEY_PARTS} | {
        "meeting_counted": body.meeting_counted,
        "share_of_won_basis_points": int(body.share_of_won_pct * 100),  # 5.00 % is 500
    }
    rule = await db.run(
        lambda s: plans.set_pay_rule(session=s, team_role=team_role, parts=parts, by=admin.id, now=utcnow())
    )
    return _shown(rule)


def _shown(rule: PayRule) -> PayRuleOut:
    money = {name: roubles(getattr(rule, f"{name}_kopecks")) for name in MONEY_PARTS}
    return PayRuleOut(
        team_role=rule.team_role,
        meeting_counted=rule.meeting_counted,
        share_of_won_pct=(Decimal(rule.share_of_won_basis_points) / 100).quantize(Decimal("0.01")),
        updated_at=rule.updated_at,
        updated_by=rule.updated_by,
        **money,
    )


@router.get("/reports/team", responses=CSV_RESPONSE, tags=["reports"])
async def team_report(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    user: CallCenterUser,
    month: Month | None = None,
    format_: Annotated[Literal["json", "csv"] | None, Query(alias="format")] = None,
):
    """The month (``YYYY-MM`` in ``TIMEZONE``; default this month) per person and team role: plan,
    fact, the chain contacts → meetings → contracts with its conversions, and the *variable* pay
    line by line (money as exact decimal strings).  Supervisors see everyone; an operator their own
    lines. ``?format=csv`` or ``Accept: text/csv`` for a spreadsheet."""
    month = month or report.current_month(settings.tz)
    result = await db.read(lambda s: report.report(session=s, month=month, zone=settings.tz, viewer=user))
    if wants_csv(request, format_):
        return csv_response(report.csv_rows(result), f"team-{month}.csv")
    return result


@router.get("/reports/team/today", tags=["reports"])
async def my_day(db: DbDep, settings: SettingsDep, user: CallCenterUser) -> dict:
    """Your day so far (in ``TIMEZONE``): attempts finished, persons reached, meetings booked, and
    the day's share of your monthly meetings plan (the plan over the month's weekdays)."""
    return await db.read(lambda s: today.day_of(session=s, operator_id=user.id, zone=settings.tz, now=utcnow()))
