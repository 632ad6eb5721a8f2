"""A manager's daily work on the funnel: touches and tasks."""

from datetime import timedelta

from fastapi import APIRouter, status
from sqlalchemy import select

from app.auth.deps import CallCenterUser
from app.auth.models import Role
from app.contacts.models import Contact
from app.crm import tasks, touches
from app.crm.models import Deal, Task, TaskKind, Touch, TouchChannel
from app.database import utcnow
from app.deps import DbDep, ReadSessionDep
from app.errors import Forbidden, NotFound, Unprocessable
from app.operators.lookup import require_operator
from app.pagination import PageDep, paginate
from schemas.common import Id, Page
from schemas.crm import TaskIn, TaskOut, TouchIn, TouchOut

router = APIRouter(prefix="/api", tags=["funnel"])
TOUCH_CLOCK_SKEW = timedelta(minutes=5)


@router.get("/touches", response_model=Page[TouchOut])
async def list_touches(
    session: ReadSessionDep,
    _user: CallCenterUser,
    page: PageDep,
    contact_id: Id | None = None,
    deal_id: Id | None = None,
):
    """Touches, newest first: calls (recorded by themselves) and notes, e-mails, meetings, messages."""
    query = select(Touch).order_by(Touch.at.desc(), Touch.id.desc())
    if contact_id is not None:
        query = query.where(Touch.contact_id == contact_id)
    if deal_id is not None:
        query = query.where(Touch.deal_id == deal_id)
    return await paginate(session, query, page)


@router.post("/touches", response_model=TouchOut, status_code=status.HTTP_201_CREATED)
async def add_touch(body: TouchIn, db: DbDep, user: CallCenterUser):
    """A note, e-mail, meeting or message. ``at`` may be back-filled, but not more than 5 minutes
    ahead; a touch on a deal is its owner's (or a supervisor's) to add."""
    now = utcnow()
    if body.at is not None and body.at > now + TOUCH_CLOCK_SKEW:
        raise Unprocessable("at: a touch cannot be in the future (5 minutes of clock skew allowed)")

    def write(session):
        if session.get(Contact, body.contact_id) is None:
            raise NotFound(f"no contact {body.contact_id}")
        if body.deal_id is not None:
            deal = session.get(Deal, body.deal_id)
            if deal is None or deal.contact_id != body.contact_id:
                raise Unprocessable(f"deal {body.deal_id} is not a deal of contact {body.contact_id}")
            if user.role == Role.operator and deal.owner_id != user.id:
                raise Forbidden(
                    f"deal {body.deal_id} is another manager's: only its owner or a supervisor adds touches"
                )
        touch = touches.record(
            session=session,
            contact_id=body.contact_id,
            deal_id=body.deal_id,
            channel=TouchChannel(body.channel),
            at=body.at or now,
            operator_id=user.id,
            reason=body.reason,
            note=body.note,
        )
        session.flush()
        return TouchOut.model_validate(touch)

    return await db.run(write)


@router.get("/tasks", response_model=Page[TaskOut])
async def list_tasks(
    session: ReadSessionDep, user: CallCenterUser, page: PageDep, owner_id: Id | None = None, done: bool = False
):
    """One list per manager (a manager's own; supervisors pass ``owner_id`` or see everyone's), by due date."""
    if user.role == Role.operator:
        owner_id = user.id
    query = select(Task).order_by(Task.due_at, Task.id)
    query = query.where(Task.done_at.is_not(None) if done else Task.done_at.is_(None))
    if owner_id is not None:
        query = query.where(Task.owner_id == owner_id)
    return await paginate(session, query, page)


@router.post("/tasks", response_model=TaskOut, status_code=status.HTTP_201_CREATED)
async def add_task(body: TaskIn, db: DbDep, user: CallCenterUser):
    """A follow-up: managers for themselves, supervisors for anyone."""
    if user.role == Role.operator and body.owner_id not in (None, user.id):
        raise Forbidden("managers schedule their own tasks")

    def write(session):
        if body.deal_id is not None and session.get(Deal, body.deal_id) is None:
            raise Unprocessable(f"no deal {body.deal_id}")
        if body.contact_id is not None and session.get(Contact, body.contact_id) is None:
            raise Unprocessable(f"no contact {body.contact_id}")
        if body.owner_id is not None:
            require_operator(session=session, user_id=body.owner_id, as_what="a task's owner")
        task = tasks.create(
            session=session,
            owner_id=body.owner_id or user.id,
            kind=TaskKind.follow_up,
            title=body.title,
            due_at=body.due_at,
            now=utcnow(),
            deal_id=body.deal_id,
            contact_id=body.contact_id,
        )
        return TaskOut.model_validate(task)

    return await db.run(write)


@router.post("/tasks/{task_id:id}/done", response_model=TaskOut)
async def finish_task(task_id: Id, db: DbDep, user: CallCenterUser):
    def write(session):
        task = session.get(Task, task_id, with_for_update=True)
        if task is None:
            raise NotFound(f"no task {task_id}")
        if user.role == Role.operator and task.owner_id != user.id:
            raise Forbidden(f"task {task_id} is another manager's")
        task.done_at = task.done_at or utcnow()
        return TaskOut.model_validate(task)

    return await db.run(write)
