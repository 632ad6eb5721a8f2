"""Queues and their members."""

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.contacts.phone import to_e164
from app.crm.models import Pipeline
from app.errors import Conflict, NotFound, Unprocessable
from app.operators.models import Operator
from app.queues.models import Queue, QueueMember
from schemas.queues import QueueCreate, QueuePatch


async def get(*, session: AsyncSession, queue_id: int) -> Queue:
    queue = await session.get(Queue, queue_id)
    if queue is None:
        raise NotFound(f"no queue {queue_id}")
    return queue


async def out(*, session: AsyncSession, queue: Queue) -> dict:
    members = await session.execute(
        select(QueueMember.operator_id, QueueMember.position)
        .where(QueueMember.queue_id == queue.id)
        .order_by(QueueMember.position, QueueMember.operator_id)
    )
    return {**queue.model_dump(warnings=False), "members": [{"operator_id": o, "position": p} for o, p in members]}


async def create(*, session: AsyncSession, body: QueueCreate, region: str) -> Queue:
    values = body.model_dump()
    values["numbers"] = await _free_lines(session=session, numbers=body.numbers, region=region, queue_id=None)
    await _unique_name(session=session, name=body.name, queue_id=None)
    await _known_pipeline(session=session, pipeline_id=body.deal_pipeline_id)
    queue = Queue(**values)
    session.add(queue)
    await session.flush()
    return queue


async def update(*, session: AsyncSession, queue: Queue, patch: QueuePatch, region: str) -> Queue:
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
        changes["numbers"] = await _free_lines(
            session=session, numbers=merged.numbers, region=region, queue_id=queue.id
        )
    if "name" in changes:
        await _unique_name(session=session, name=merged.name, queue_id=queue.id)
    if "deal_pipeline_id" in changes:
        await _known_pipeline(session=session, pipeline_id=merged.deal_pipeline_id)
    for field in changes:
        setattr(queue, field, changes[field] if field == "numbers" else getattr(merged, field))
    await session.flush()
    return queue


async def set_members(*, session: AsyncSession, queue: Queue, members: list[tuple[int, int]]) -> None:
    ids = [operator_id for operator_id, _ in members]
    if len(set(ids)) != len(ids):
        raise Conflict("an operator is listed twice")
    known = set((await session.execute(select(Operator.user_id).where(Operator.user_id.in_(ids)))).scalars())
    if missing := [i for i in ids if i not in known]:
        raise NotFound(f"no operator {', '.join(map(str, missing))}")
    await session.execute(delete(QueueMember).where(QueueMember.queue_id == queue.id))
    session.add_all(QueueMember(queue_id=queue.id, operator_id=o, position=p) for o, p in members)
    await session.flush()


async def _free_lines(*, session: AsyncSession, numbers: list[str], region: str, queue_id: int | None) -> list[str]:
    """The lines in E.164 (a SIP line name stays as it is); a line belongs to one queue only."""
    lines = [to_e164(n, region=region) or n.strip() for n in numbers]
    if "" in lines:
        raise Unprocessable("numbers: a line is blank")
    for other in (await session.execute(select(Queue).where(Queue.id != (queue_id or 0)))).scalars():
        if taken := set(lines) & set(other.numbers):
            raise Conflict(f"line {', '.join(sorted(taken))} already lands in queue {other.name!r}")
    return lines


async def _unique_name(*, session: AsyncSession, name: str, queue_id: int | None) -> None:
    if (await session.execute(select(Queue.id).where(Queue.name == name, Queue.id != (queue_id or 0)))).first():
        raise Conflict(f"queue {name!r} already exists")


async def _known_pipeline(*, session: AsyncSession, pipeline_id: int | None) -> None:
    if pipeline_id is not None and await session.get(Pipeline, pipeline_id) is None:
        raise Unprocessable(f"no pipeline {pipeline_id}")
