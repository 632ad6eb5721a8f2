"""A manager's daily work on the funnel: touches and tasks."""

from fastapi import APIRouter, status

from app.auth.deps import CallCenterUser
from app.crm import activity
from app.database import utcnow
from app.deps import DbDep
from app.pagination import PageDep, paginate
from schemas.common import Id, Page
from schemas.crm import TaskIn, TaskOut, TouchIn, TouchOut

router = APIRouter(prefix="/api", tags=["funnel"])


@router.get("/touches", response_model=Page[TouchOut])
async def list_touches(
    db: DbDep,
    _user: CallCenterUser,
    page: PageDep,
    contact_id: Id | None = None,
    deal_id: Id | None = None,
):
    """Touches, newest first: calls (recorded by themselves) and notes, e-mails, meetings, messages."""
    query = activity.touches_query(contact_id=contact_id, deal_id=deal_id)
    return await db.read(lambda s: paginate(s, query, page))


@router.post("/touches", response_model=TouchOut, status_code=status.HTTP_201_CREATED)
async def add_touch(body: TouchIn, db: DbDep, user: CallCenterUser):
    """A note, e-mail, meeting or message. ``at`` may be back-filled, but not more than 5 minutes
    ahead; a touch on a deal is its owner's (or a supervisor's) to add."""
    return await db.run(
        lambda s: TouchOut.model_validate(activity.add_touch(session=s, actor=user, now=utcnow(), **body.model_dump()))
    )


@router.get("/tasks", response_model=Page[TaskOut])
async def list_tasks(db: DbDep, user: CallCenterUser, page: PageDep, owner_id: Id | None = None, done: bool = False):
    """One list per manager (a manager's own; supervisors pass ``owner_id`` or see everyone's), by due date."""
    query = activity.tasks_query(actor=user, owner_id=owner_id, done=done)
    return await db.read(lambda s: paginate(s, query, page))


@router.post("/tasks", response_model=TaskOut, status_code=status.HTTP_201_CREATED)
async def add_task(body: TaskIn, db: DbDep, user: CallCenterUser):
    """A follow-up: managers for themselves, supervisors for anyone."""
    return await db.run(
        lambda s: TaskOut.model_validate(activity.add_task(session=s, actor=user, now=utcnow(), **body.model_dump()))
    )


@router.post("/tasks/{task_id:id}/done", response_model=TaskOut)
async def finish_task(task_id: Id, db: DbDep, user: CallCenterUser):
    return await db.run(
        lambda s: TaskOut.model_validate(activity.finish_task(session=s, actor=user, task_id=task_id, now=utcnow()))
    )
