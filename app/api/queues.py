from fastapi import APIRouter, status
from sqlalchemy import select

from app.auth.deps import CallCenterUser, Supervisor
from app.deps import DbDep, SettingsDep
from app.queues import service as queues_service
from app.queues.models import Queue
from schemas.common import Id
from schemas.queues import Member, QueueCreate, QueueOut, QueuePatch

router = APIRouter(prefix="/api/queues", tags=["queues"])


@router.get("", response_model=list[QueueOut])
async def list_queues(db: DbDep, _user: CallCenterUser):
    def read(session):
        queues = session.execute(select(Queue).order_by(Queue.name)).scalars()
        return [queues_service.out(session=session, queue=q) for q in queues]

    return await db.read(read)


@router.post("", response_model=QueueOut, status_code=status.HTTP_201_CREATED)
async def create_queue(body: QueueCreate, db: DbDep, settings: SettingsDep, _user: Supervisor):
    def write(session):
        queue = queues_service.create(session=session, body=body, region=settings.default_region)
        return queues_service.out(session=session, queue=queue)

    return await db.run(write)


@router.get("/{queue_id:id}", response_model=QueueOut)
async def get_queue(queue_id: Id, db: DbDep, _user: CallCenterUser):
    return await db.read(
        lambda s: queues_service.out(session=s, queue=queues_service.get(session=s, queue_id=queue_id))
    )


@router.patch("/{queue_id:id}", response_model=QueueOut)
async def update_queue(queue_id: Id, body: QueuePatch, db: DbDep, settings: SettingsDep, _user: Supervisor):
    def write(session):
        queue = queues_service.get(session=session, queue_id=queue_id)
        queues_service.update(session=session, queue=queue, patch=body, region=settings.default_region)
        return queues_service.out(session=session, queue=queue)

    return await db.run(write)


@router.put("/{queue_id:id}/members", response_model=QueueOut)
async def set_members(queue_id: Id, members: list[Member], db: DbDep, _user: Supervisor):
    """Replaces the queue's members; ``position`` orders round-robin and breaks ties."""

    def write(session):
        queue = queues_service.get(session=session, queue_id=queue_id)
        queues_service.set_members(session=session, queue=queue, members=[(m.operator_id, m.position) for m in members])
        return queues_service.out(session=session, queue=queue)

    return await db.run(write)
