"""A first-line manager's day so far against the day's share of their monthly meetings plan:
what the dialer shows above the next contact."""

import math
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.crm.models import Deal, DealStageMove, Pipeline
from app.lists.dialer import REACHED_A_PERSON
from app.lists.models import Attempt, AttemptStatus
from app.team.models import Plan
from app.team.report import month_bounds


def day_of(*, session: Session, operator_id: int, zone: ZoneInfo, now: datetime) -> dict:
    local = now.astimezone(zone)
    since = datetime.combine(local.date(), time(), tzinfo=zone)
    until = since + timedelta(days=1)
    finished = session.execute(
        select(Attempt.result).where(
            Attempt.operator_id == operator_id,
            Attempt.status == AttemptStatus.done,
            Attempt.finished_at >= since,
            Attempt.finished_at < until,
        )
    ).scalars()
    results = list(finished)
    booked = session.execute(
        select(func.count(func.distinct(DealStageMove.deal_id)))
        .join(Deal, Deal.id == DealStageMove.deal_id)
        .join(Pipeline, Pipeline.id == Deal.pipeline_id)
        .where(
            DealStageMove.to_stage_id == Pipeline.meeting_stage_id,
            DealStageMove.owner_id == operator_id,
            DealStageMove.at >= since,
            DealStageMove.at < until,
        )
    ).scalar_one()
    month = local.strftime("%Y-%m")
    plan = session.execute(
        select(Plan.target).where(Plan.operator_id == operator_id, Plan.month == month, Plan.team_role == "first_line")
    ).scalar()
    return {
        "date": local.date(),
        "attempts": len(results),
        "reached": sum(1 for result in results if result in REACHED_A_PERSON),
        "meetings": booked,
        "month_plan": plan,
        "day_share": math.ceil(plan / _weekdays(local)) if plan else None,
    }


def _weekdays(local: datetime) -> int:
    """Monday to Friday in the month of ``local``: the days a plan is shared over."""
    since, until = month_bounds(local.strftime("%Y-%m"), local.tzinfo)
    days = (until.date() - since.date()).days
    return sum(1 for day in range(days) if (since.date() + timedelta(days=day)).weekday() < 5)
