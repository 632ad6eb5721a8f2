"""Conversion between funnel stages, per manager, against each stage's target.

The deals counted are those created in the period (a weekly cohort).  A deal *entered* a stage
when it was ever moved into it or into a later one; the first stage's conversion is measured
against the deals created ("the list"), every other stage's against the previous stage.  Deals
lost after five touches or fewer are counted apart: buyers need about seven, most managers stop
after five.
"""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.crm import pipelines
from app.crm.models import Deal, DealStageMove, DealStatus, Stage
from app.recordings import examples

TEAM = "team"
STOPPED_EARLY_TOUCHES = 5


def report(*, session: Session, pipeline_id: int | None, since: datetime, until: datetime, by_manager: bool) -> dict:
    pipeline = pipelines.get(session=session, pipeline_id=pipeline_id)
    stages = pipelines.stages_of(session=session, pipeline_id=pipeline.id)
    reached = session.execute(
        select(Deal.owner_id, func.coalesce(func.max(Stage.position), 0), Deal.status, Deal.touch_count)
        .outerjoin(DealStageMove, DealStageMove.deal_id == Deal.id)
        .outerjoin(Stage, Stage.id == DealStageMove.to_stage_id)
        .where(Deal.pipeline_id == pipeline.id, Deal.created_at >= since, Deal.created_at < until)
        .group_by(Deal.id, Deal.owner_id, Deal.status, Deal.touch_count)
    ).all()
    groups: dict[int | str, list] = {TEAM: [row[1:] for row in reached]}
    if by_manager:
        for owner_id, *deal in reached:
            groups.setdefault(owner_id, []).append(deal)
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_([g for g in groups if g != TEAM]))).all())
    funnels = {group: _funnel(stages, positions) for group, positions in groups.items()}
    managers = [
        {"manager_id": owner, "manager": names.get(owner), **funnels[owner]} for owner in sorted(names, key=names.get)
    ]
    return {
        "pipeline": {"id": pipeline.id, "name": pipeline.name},
        "since": since,
        "until": until,
        "team": funnels[TEAM],
        "managers": managers,
        "coaching": _with_examples(session, _coaching(stages, managers)),
    }


def _funnel(stages: list[Stage], deals: list) -> dict:
    """``deals``: (furthest stage position reached, status, touches) per deal."""
    positions = [position for position, _, _ in deals]
    listed = len(positions)
    entered = [listed] + [sum(1 for p in positions if p >= stage.position) for stage in stages]
    rows = []
    for i, stage in enumerate(stages, start=1):
        conversion = _rate(entered[i], entered[i - 1])
        rows.append(
            {
                "stage_id": stage.id,
                "stage": stage.name,
                "entered": entered[i],
                "advanced": entered[i + 1] if i < len(stages) else None,
                "conversion": conversion,
                "target": stage.target_rate,
                "below_target": conversion is not None and conversion < stage.target_rate,
            }
        )
    stopped = sum(1 for _, status, touches in deals if status == DealStatus.lost and touches <= STOPPED_EARLY_TOUCHES)
    return {
        "deals": listed,
        "stages": rows,
        "end_to_end": _rate(entered[-1], listed),
        "lost_within_5_touches": stopped,
    }


def _coaching(stages: list[Stage], managers: list[dict]) -> list[dict]:
    """For each stage where a manager is below target: the colleague with the best (and higher) rate there."""
    pairs = []
    for index, stage in enumerate(stages):
        rates = [(m, m["stages"][index]["conversion"]) for m in managers]
        for manager, rate in rates:
            if not manager["stages"][index]["below_target"]:
                continue
            better = [(other, r) for other, r in rates if other is not manager and r is not None and r > rate]
            if better:
                coach, coach_rate = max(better, key=lambda pair: pair[1])
                pairs.append(
                    {
                        "stage_id": stage.id,
                        "stage": stage.name,
                        "manager_id": manager["manager_id"],
                        "manager": manager["manager"],
                        "rate": rate,
                        "coach_id": coach["manager_id"],
                        "coach": coach["manager"],
                        "coach_rate": coach_rate,
                    }
                )
    return pairs


def _with_examples(session: Session, pairs: list[dict]) -> list[dict]:
    """Each pair gains the coach's good examples for the stage: "listen to how Sidorov opens"."""
    found = examples.good_ones(
        session=session, coaches={pair["coach_id"] for pair in pairs}, stages={pair["stage_id"] for pair in pairs}
    )
    return [{**pair, "examples": found.get((pair["coach_id"], pair["stage_id"]), [])} for pair in pairs]


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def csv_rows(result: dict) -> list[list]:
    """One row per manager (and the team) and stage."""
    rows = [["manager", "stage", "entered", "advanced", "conversion_pct", "target_pct", "below_target"]]
    for name, funnel in [(TEAM, result["team"])] + [(m["manager"], m) for m in result["managers"]]:
        for row in funnel["stages"]:
            rows.append(
                [
                    name,
                    row["stage"],
                    row["entered"],
                    row["advanced"],
                    row["conversion"],
                    row["target"],
                    row["below_target"],
                ]
            )
        rows.append([name, "end to end", funnel["stages"][-1]["entered"], None, funnel["end_to_end"], None, None])
    return rows
