from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import select

from app.auth.deps import CallCenterUser
from app.calls import disposition as calls_disposition
from app.calls import queries as calls_queries
from app.calls.models import Call, Outcome
from app.contacts.phone import to_e164
from app.database import utcnow
from app.deps import DbDep, ReadSessionDep, SettingsDep
from app.errors import NotFound
from app.pagination import PageDep, paginate
from schemas.calls import CallDetail, CallOut, DispositionIn, DispositionOut
from schemas.common import Id, Moment, Page
from schemas.pbx_events import Direction

router = APIRouter(prefix="/api/calls", tags=["calls"])


@router.get("", response_model=Page[CallOut])
async def list_calls(
    session: ReadSessionDep,
    settings: SettingsDep,
    _user: CallCenterUser,
    page: PageDep,
    number: Annotated[str | None, Query(description="the client's number in any notation")] = None,
    outcome: Outcome | None = None,
    direction: Direction | None = None,
    since: Annotated[Moment | None, Query(description="started at or after (ISO 8601; UTC if no offset)")] = None,
    until: Annotated[Moment | None, Query(description="started before (ISO 8601; UTC if no offset)")] = None,
):
    """Calls, newest first."""
    query = select(Call).order_by(Call.started_at.desc(), Call.id.desc())
    if number is not None:
        e164 = to_e164(number, region=settings.default_region)
        query = query.where(Call.number == e164 if e164 else Call.number_raw == number)  # indexed either way
    if outcome is not None:
        query = query.where(Call.outcome == outcome)
    if direction is not None:
        query = query.where(Call.direction == direction)
    if since is not None:
        query = query.where(Call.started_at >= since)
    if until is not None:
        query = query.where(Call.started_at < until)
    return await paginate(session, query, page)


@router.get("/{call_id:id}", response_model=CallDetail)
async def get_call(call_id: Id, session: ReadSessionDep, _user: CallCenterUser):
    """One call with its legs and its timeline."""
    call = await calls_queries.get(session=session, call_id=call_id)
    if call is None:
        raise NotFound(f"no call {call_id}")
    legs = await calls_queries.legs_of(session=session, call_id=call_id)
    timeline = await calls_queries.timeline(session=session, call_id=call_id)
    return CallDetail.model_validate({**CallOut.model_validate(call).model_dump(), "legs": legs, "timeline": timeline})


@router.post("/{call_id:id}/disposition", response_model=DispositionOut, status_code=status.HTTP_201_CREATED)
async def add_disposition(call_id: Id, body: DispositionIn, db: DbDep, user: CallCenterUser):
    """The operator's after-call note and next step (the panel's ``disposition`` frame does the same)."""
    return await db.run(
        lambda session: DispositionOut.model_validate(
            calls_disposition.record(session=session, call_id=call_id, actor=user, now=utcnow(), **body.model_dump())
        )
    )
