"""Calls marked as examples to learn from (the coaching library).

An example is filed under the stage the call was working toward, because the funnel's coaching
pairs name the stage a manager converts *into*: the stage after the call's stage snapshot, or the
pipeline's first stage when the deal was still on the list.  One mark per call; marking again
replaces it.
"""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.calls.models import Call
from app.crm.models import Deal, RefusalReason, Stage
from app.database import insert_ignoring_duplicates
from app.errors import Unprocessable
from app.recordings.models import CallExample, ExampleKind


def working_toward(*, session: Session, call: Call) -> int | None:
    if call.deal_id is None:
        return None
    if call.deal_stage_id is None:
        pipeline_id = session.get(Deal, call.deal_id).pipeline_id
        position = 0
    else:
        snapshot = session.get(Stage, call.deal_stage_id)
        pipeline_id, position = snapshot.pipeline_id, snapshot.position
    following = session.execute(
        select(Stage.id).where(Stage.pipeline_id == pipeline_id, Stage.position > position).order_by(Stage.position)
    ).first()
    return following[0] if following else call.deal_stage_id  # the last stage: toward itself


def mark(
    *,
    session: Session,
    call: Call,
    kind: ExampleKind,
    stage_id: int | None,
    refusal_reason_id: int | None,
    note: str,
    by: int,
    now: datetime,
) -> CallExample:
    if stage_id is not None and session.get(Stage, stage_id) is None:
        raise Unprocessable(f"stage {stage_id} does not exist")
    if refusal_reason_id is not None and session.get(RefusalReason, refusal_reason_id) is None:
        raise Unprocessable(f"refusal reason {refusal_reason_id} does not exist")
    values = {
        "kind": kind,
        "stage_id": stage_id if stage_id is not None else working_toward(session=session, call=call),
        "refusal_reason_id": refusal_reason_id,
        "note": note,
        "marked_by": by,
        "marked_at": now,
    }
    session.execute(
        insert_ignoring_duplicates(session, CallExample.__table__, index_elements=["call_id"]),
        [{"call_id": call.id, **values}],
    )
    example = session.execute(select(CallExample).where(CallExample.call_id == call.id)).scalar_one()
    for name, value in values.items():  # marked before: this mark replaces it
        setattr(example, name, value)
    session.flush()
    return example


def unmark(*, session: Session, call_id: int) -> bool:
    return session.execute(delete(CallExample).where(CallExample.call_id == call_id)).rowcount > 0


def good_ones(*, session: Session, coaches: set[int], stages: set[int]) -> dict[tuple[int, int], list[dict]]:
    """The good examples of these operators' calls for these stages, newest first, by (operator, stage)."""
    found: dict[tuple[int, int], list[dict]] = {}
    if not coaches or not stages:
        return found
    query = (
        select(CallExample, Call.operator_id, Call.started_at)
        .join(Call, Call.id == CallExample.call_id)
        .where(CallExample.kind == ExampleKind.good, CallExample.stage_id.in_(stages), Call.operator_id.in_(coaches))
        .order_by(Call.started_at.desc(), CallExample.id.desc())
    )
    for example, operator_id, started_at in session.execute(query):
        found.setdefault((operator_id, example.stage_id), []).append(
            {"call_id": example.call_id, "started_at": started_at, "note": example.note}
        )
    return found


def listed(
    *, session: Session, stage_id: int | None, kind: ExampleKind | None, operator_id: int | None, good_only: bool
) -> list[tuple[CallExample, Call]]:
    query = select(CallExample, Call).join(Call, Call.id == CallExample.call_id)
    if stage_id is not None:
        query = query.where(CallExample.stage_id == stage_id)
    if kind is not None:
        query = query.where(CallExample.kind == kind)
    if good_only:
        query = query.where(CallExample.kind == ExampleKind.good)
    if operator_id is not None:
        query = query.where(Call.operator_id == operator_id)
    return list(session.execute(query.order_by(Call.started_at.desc(), CallExample.id.desc())).all())
