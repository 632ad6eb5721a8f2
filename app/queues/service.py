"""Queues and their members."""

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.contacts.phone import to_e164
from app.crm.models import Pipeline
from app.errors import Conflict, NotFound, Unprocessable
from app.operators.models import Operator
from app.queues.models import Queue, QueueMember
from schemas.queues import QueueCreate, QueuePatch


def get(*, session: Session, queue_id: int) -> Queue:
    queue = session.get(Queue, queue_id)
    if queue is None:
        raise NotFound(f"no queue {queue_id}")
    return queue


def out(*, session: Session, queue: Queue) -> dict:
    members = session.execute(
        select(QueueMember.operator_id, QueueMember.position)
        .where(QueueMember.queue_id == queue.id)
        .order_by(QueueMember.position, QueueMember.operator_id)
    )
    return {**queue.model_dump(warnings=False), "members": [{"operator_id": o, "position": p} for o, p in members]}


def create(*, session: Session, body: QueueCreate, region: str) -> Queue:
    values = body.model_dump()
    values["numbers"] = _free_lines(session=session, numbers=body.numbers, region=region, queue_id=None)
    _unique_name(session=session, name=body.name, queue_id=None)
    _known_pipeline(session=session, pipeline_id=body.deal_pipeline_id)
    queue = Queue(**values)
    session.add(queue)
    session.flush()
    return queue


def update(*, session: Session, queue: Queue, patch: QueuePatch, region: str) -> Queue:
    """Applies the given fields, validated together with the rest as a whole queue."""
    changes = patch.model_dump(exclude_unset=True)
    try:
        merged = QueueCreate.model_validate(
            {**queue.model_dump(include=set(QueueCreate.model_fields), warnings=False), **changes}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "queue"
        raise Unprocessable(f"{where}: {first['msg']}") from None
    if "numbers" in changes:
        changes["numbers"] = _free_lines(session=session, numbers=merged.numbers, region=region, queue_id=queue.id)
    if "name" in changes:
        _unique_name(session=session, name=merged.name, queue_id=queue.id)
    if "deal_pipeline_id" in changes:
        _known_pipeline(session=session, pipeline_id=merged.deal_pipeline_id)
    for field in changes:
        setattr(queue, field, changes[field] if field == "numbers" else getattr(merged, field))
    session.flush()
    return queue


def set_members(*, session: Session, queue: Queue, members: list[tuple[int, int]]) -> None:
    ids = [operator_id for operator_id, _ in members]
    if len(set(ids)) != len(ids):
        raise Conflict("an operator is listed twice")
    known = set((session.execute(select(Operator.user_id).where(Operator.user_id.in_(ids)))).scalars())
    if missing := [i for i in ids if i not in known]:
        raise NotFound(f"no operator {', '.join(map(str, missing))}")
    session.execute(delete(QueueMember).where(QueueMember.queue_id == queue.id))
    session.add_all(QueueMember(queue_id=queue.id, operator_id=o, position=p) for o, p in members)
    session.flush()


def _free_lines(*, session: Session, numbers: list[str], region: str, queue_id: int | None) -> list[str]:
    """The lines in E.164 (a SIP line name stays as it is); a line belongs to one queue only."""
    lines = [to_e164(n, region=region) or n.strip() for n in numbers]
    if "" in lines:
        raise Unprocessable("numbers: a line is blank")
    for other in (session.execute(select(Queue).where(Queue.id != (queue_id or 0)))).scalars():
        if taken := set(lines) & set(other.numbers):
            raise Conflict(f"line {', '.join(sorted(taken))} already lands in queue {other.name!r}")
    return lines


def _unique_name(*, session: Session, name: str, queue_id: int | None) -> None:
    if (session.execute(select(Queue.id).where(Queue.name == name, Queue.id != (queue_id or 0)))).first():
        raise Conflict(f"queue {name!r} already exists")


def _known_pipeline(*, session: Session, pipeline_id: int | None) -> None:
    if pipeline_id is not None and session.get(Pipeline, pipeline_id) is None:
        raise Unprocessable(f"no pipeline {pipeline_id}")
