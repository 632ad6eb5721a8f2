"""Conversion between funnel stages, per manager, against each stage's target.

The deals counted are those created in the period (a weekly cohort).  A deal *entered* a stage
when it was ever moved into it or into a later one; the first stage's conversion is measured
against the deals created ("the list"), every other stage's against the previous stage.  Per
manager, a stage's conversion is credited to whoever owned the deal while it sat in the previous
stage (each stage move records its owner): in active sales a first-line manager is measured up
to the meeting and the closer from the meeting on; without hand-offs that is simply the deal's
owner.  Deals lost after five touches or fewer are counted apart (against their owner now):
buyers need about seven, most managers stop after five.
"""

from datetime import datetime

from sqlalchemy import select
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
    cohort = (Deal.pipeline_id == pipeline.id, Deal.created_at >= since, Deal.created_at < until)
    deals = session.execute(select(Deal.id, Deal.owner_id, Deal.status, Deal.touch_count).where(*cohort)).all()
    moves: dict[int, list[tuple[int, int | None]]] = {}
    for deal_id, position, owner_id in session.execute(
        select(DealStageMove.deal_id, Stage.position, DealStageMove.owner_id)
        .join(Stage, Stage.id == DealStageMove.to_stage_id)
        .join(Deal, Deal.id == DealStageMove.deal_id)
        .where(*cohort)
        .order_by(DealStageMove.deal_id, DealStageMove.id)
    ):
        moves.setdefault(deal_id, []).append((position, owner_id))
    groups: dict[int | str, _Group] = {TEAM: _Group()}
    for deal_id, owner_id, status, touches in deals:
        stints = _stints(moves.get(deal_id, []), owner_id)
        stopped = status == DealStatus.lost and touches <= STOPPED_EARLY_TOUCHES
        groups[TEAM].add([(position, furthest) for position, furthest, _ in stints], stopped)
        if by_manager:
            groups.setdefault(owner_id, _Group()).add([], stopped)
            for position, furthest, holder in stints:
                groups.setdefault(holder, _Group()).add([(position, furthest)], False)
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_([g for g in groups if g != TEAM]))).all())
    funnels = {group: _funnel(stages, counted) for group, counted in groups.items()}
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


def _stints(moves: list[tuple[int, int | None]], owner_id: int) -> list[tuple[int, int, int]]:
    """(position, furthest position reached, who held the deal there) for every position up to the
    furthest: whoever owned it at the first move past the position (each move records the owner
    of the stage it leaves), or its owner now for where it stands."""
    furthest = max((position for position, _ in moves), default=0)
    stints = []
    for sat_at in range(furthest + 1):
        holder = next((owner for position, owner in moves if position > sat_at and owner is not None), owner_id)
        stints.append((sat_at, furthest, holder))
    return stints


class _Group:
    """What one manager (or the team) is measured on: the positions they held deals at, each with
    the furthest the deal got, and their deals lost early."""

    def __init__(self) -> None:
        self.held: list[tuple[int, int]] = []
        self.lost_early = 0

    def add(self, held: list[tuple[int, int]], lost_early: bool) -> None:
        self.held.extend(held)
        self.lost_early += lost_early


def _funnel(stages: list[Stage], group: _Group) -> dict:
    """Each stage's conversion: of the deals held at the previous position (the list is position
    0), those that got this far."""
    sat = [sum(1 for position, _ in group.held if position == i) for i in range(len(stages) + 1)]
    went_on = [
        sum(1 for position, furthest in group.held if position == i and furthest > i) for i in range(len(stages))
    ]
    listed = sat[0]
    rows = []
    for i, stage in enumerate(stages, start=1):
        conversion = _rate(went_on[i - 1], sat[i - 1])
        rows.append(
            {
                "stage_id": stage.id,
                "stage": stage.name,
                "entered": went_on[i - 1],
                "advanced": went_on[i] if i < len(stages) else None,
                "conversion": conversion,
                "target": stage.target_rate,
                "below_target": conversion is not None and conversion < stage.target_rate,
            }
        )
    through = sum(1 for position, furthest in group.held if position == 0 and furthest >= len(stages))
    return {
        "deals": listed,
        "stages": rows,
        "end_to_end": _rate(through, listed),
        "lost_within_5_touches": group.lost_early,
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
