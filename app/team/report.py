"""The team's month: per person and team role, plan against fact, the chain contacts → meetings →
contracts, and the *variable* pay worked out line by line from the role's pay rule (minimum-wage
rules and the fixed salary outside the rule are the employer's business)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.operators.models import TEAM_ROLES, Operator
from app.team import plans as plans_service
from app.team import results as month_results
from app.team.models import MeetingCounted, PayRule, Plan
from app.team.money import roubles, share

FACTS = {  # what each role's plan counts
    "collector": "contacts confirmed",
    "first_line": "meetings",
    "closer": "contracts",
    "account_manager": "deals won",
}
PAY_ITEMS = ("fixed", "per_confirmed_contact", "per_meeting", "share_of_won", "bonus_at_plan", "bonus_at_team_plan")


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The month's first moment and the next month's, in the company's time zone."""
    year, number = (int(part) for part in month.split("-"))
    since = datetime(year, number, 1, tzinfo=zone)
    return since, datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)


def report(*, session: Session, month: str, zone: ZoneInfo, viewer: User) -> dict:
    since, until = month_bounds(month, zone)
    found = month_results.of_month(session=session, since=since, until=until)
    rules = plans_service.pay_rules(session=session)
    targets = {
        (plan.operator_id, plan.team_role): plan.target
        for plan in session.execute(select(Plan).where(Plan.month == month)).scalars()
    }
    people = _people(session, targets)
    counted = rules["first_line"].meeting_counted if "first_line" in rules else MeetingCounted.held
    lines = [
        _line(person_id, name, role, targets.get((person_id, role)), found, counted) for person_id, name, role in people
    ]
    team = _team_plans(lines)
    for line in lines:
        line["pay"] = _pay(line, rules.get(line["team_role"]), found, team[line["team_role"]]["met"])
        line["variable_pay"] = str(sum((Decimal(item["amount"]) for item in line["pay"]), Decimal("0.00")))
    if viewer.role == Role.operator:
        lines = [line for line in lines if line["operator_id"] == viewer.id]
    return {
        "month": month,
        "since": since,
        "until": until,
        "pay_kind": "variable",  # for results only: the minimum wage and taxes are the employer's business
        "meetings_counted": counted,
        "people": lines,
        "team": team if viewer.role != Role.operator else {},
    }


def _people(session: Session, targets: dict) -> list[tuple[int, str, str]]:
    """(user, name, team role) for every active operator's team role and every plan of the month."""
    rows = session.execute(
        select(User.id, User.name, User.active, Operator.team_roles).join(Operator, Operator.user_id == User.id)
    ).all()
    names = {user_id: name for user_id, name, _, _ in rows}
    pairs = {(user_id, role) for user_id, _, active, roles in rows if active for role in roles} | set(targets)
    order = {role: i for i, role in enumerate(TEAM_ROLES)}
    return sorted(
        ((user_id, names[user_id], role) for user_id, role in pairs),
        key=lambda person: (order.get(person[2], len(order)), person[1], person[0]),
    )


def _line(
    person: int, name: str, role: str, target: int | None, found: month_results.Results, counted: MeetingCounted
) -> dict:
    contacts, meetings, contracts = _chain(person, role, found, counted)
    fact = {
        "collector": found.confirmed[person],
        "first_line": found.meetings(counted)[person],
        "closer": found.contracts[person],
        "account_manager": found.won[person],
    }.get(role, 0)
    return {
        "operator_id": person,
        "name": name,
        "team_role": role,
        "counts": FACTS.get(role),
        "plan": target,
        "fact": fact,
        "plan_met": target is not None and target > 0 and fact >= target,
        "contacts": contacts,
        "meetings": meetings,
        "contracts": contracts,
        "contacts_to_meetings": _rate(meetings, contacts),
        "meetings_to_contracts": _rate(contracts, meetings),
    }


def _chain(
    person: int, role: str, found: month_results.Results, counted: MeetingCounted
) -> tuple[int | None, int | None, int | None]:
    """Contacts → meetings → contracts as far as the person's role reaches: a collector's contacts
    and what came of them, a first-line manager's reached contacts and their meetings, a closer's
    meetings held and contracts."""
    if role == "collector":
        return (
            found.confirmed[person],
            found.meetings_on_collected(counted)[person],
            found.contracts_on_collected[person],
        )
    if role == "first_line":
        return found.reached[person], found.meetings(counted)[person], found.contracts_booked_by[person]
    if role == "closer":
        return None, found.held_by_closer[person], found.contracts[person]
    return None, None, None


def _team_plans(lines: list[dict]) -> dict:
    """Per role: the plans together against the facts together."""
    team = {role: {"plan": 0, "fact": 0, "met": False} for role in TEAM_ROLES}
    for line in lines:
        totals = team.setdefault(line["team_role"], {"plan": 0, "fact": 0, "met": False})
        totals["plan"] += line["plan"] or 0
        totals["fact"] += line["fact"]
    for totals in team.values():
        totals["met"] = totals["plan"] > 0 and totals["fact"] >= totals["plan"]
    return team


def _pay(line: dict, rule: PayRule | None, found: month_results.Results, team_met: bool) -> list[dict]:
    """The parts of the role's pay rule that pay something, each with what it counted, its rate and
    its amount (roubles, exact)."""
    if rule is None:
        return []
    person = line["operator_id"]
    confirmed, meetings = found.confirmed[person], found.meetings(rule.meeting_counted)[person]
    won = (found.won_as_closer if line["team_role"] == "closer" else found.won_as_owner).get(person, Decimal(0))
    plan_bonus = rule.bonus_at_plan_kopecks if line["plan_met"] else 0
    team_bonus = rule.bonus_at_team_plan_kopecks if team_met else 0
    percent = f"{Decimal(rule.share_of_won_basis_points) / 100:.2f}%"
    parts = [  # (item, what it counted, rate, amount); those with a zero rate pay nothing and are left out
        ("fixed", None, rule.fixed_kopecks, roubles(rule.fixed_kopecks)),
        (
            "per_confirmed_contact",
            confirmed,
            rule.per_confirmed_contact_kopecks,
            roubles(rule.per_confirmed_contact_kopecks) * confirmed,
        ),
        ("per_meeting", meetings, rule.per_meeting_kopecks, roubles(rule.per_meeting_kopecks) * meetings),
        ("share_of_won", str(won), rule.share_of_won_basis_points, share(won, rule.share_of_won_basis_points)),
        ("bonus_at_plan", None, plan_bonus, roubles(plan_bonus)),
        ("bonus_at_team_plan", None, team_bonus, roubles(team_bonus)),
    ]
    return [
        {
            "item": item,
            "basis": basis,
            "rate": percent if item == "share_of_won" else str(roubles(rate)),
            "amount": str(amount),
        }
        for item, basis, rate, amount in parts
        if rate
    ]


def _rate(part: int | None, whole: int | None) -> float | None:
    return round(100 * part / whole, 1) if part is not None and whole else None


def csv_rows(result: dict) -> list[list]:
    """One row per person and role, the pay's parts in columns."""
    header = ["month", "name", "team_role", "counts", "plan", "fact", "plan_met", "contacts", "meetings", "contracts"]
    rows = [header + ["contacts_to_meetings_pct", "meetings_to_contracts_pct", *PAY_ITEMS, "variable_pay"]]
    for line in result["people"]:
        paid = {item["item"]: item["amount"] for item in line["pay"]}
        rows.append(
            [result["month"]]
            + [line[name] for name in header[1:]]
            + [line["contacts_to_meetings"], line["meetings_to_contracts"]]
            + [paid.get(item, "0.00") for item in PAY_ITEMS]
            + [line["variable_pay"]]
        )
    return rows


def current_month(zone: ZoneInfo) -> str:
    return datetime.now(zone).strftime("%Y-%m")
