"""Monthly plans per person and team role, and the pay rule of each team role."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.errors import NotFound, Unprocessable
from app.operators.lookup import require_operator
from app.operators.models import TEAM_ROLES
from app.team.models import PayRule, Plan


def set_plan(*, session: Session, operator_id: int, month: str, team_role: str, target: int, now: datetime) -> Plan:
    """Creates or replaces the person's plan for the month and role."""
    require_operator(session=session, user_id=operator_id, as_what="a plan's person")
    plan = session.execute(
        select(Plan).where(Plan.operator_id == operator_id, Plan.month == month, Plan.team_role == team_role)
    ).scalar()
    if plan is None:
        plan = Plan(operator_id=operator_id, month=month, team_role=team_role, target=target, updated_at=now)
        session.add(plan)
    plan.target, plan.updated_at = target, now
    session.flush()
    return plan


def plans_of(*, session: Session, month: str, viewer: User) -> list[Plan]:
    """The month's plans; an operator's own only."""
    query = select(Plan).where(Plan.month == month).order_by(Plan.team_role, Plan.operator_id)
    if viewer.role == Role.operator:
        query = query.where(Plan.operator_id == viewer.id)
    return list(session.execute(query).scalars())


def delete_plan(*, session: Session, plan_id: int) -> None:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}")
    session.delete(plan)


def pay_rules(*, session: Session) -> dict[str, PayRule]:
    return {rule.team_role: rule for rule in session.execute(select(PayRule)).scalars()}


def set_pay_rule(*, session: Session, team_role: str, parts: dict, by: int, now: datetime) -> PayRule:
    """Replaces the role's rule (parts in kopecks and basis points)."""
    if team_role not in TEAM_ROLES:
        raise Unprocessable(f"no team role {team_role!r}: one of {', '.join(TEAM_ROLES)}")
    rule = session.get(PayRule, team_role) or PayRule(team_role=team_role, updated_at=now)
    for name, value in parts.items():
        setattr(rule, name, value)
    rule.updated_at, rule.updated_by = now, by
    session.add(rule)
    session.flush()
    return rule
