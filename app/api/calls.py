from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.deps import CallCenterUser
from app.calls import queries as calls_queries
from app.calls.models import Outcome
from app.contacts.phone import to_e164
from app.database import utcnow
from app.deps import DbDep, SettingsDep
from app.flows import disposition as dispositions
from app.pagination import PageDep, paginate
from schemas.calls import CallDetail, CallOut, DispositionIn, DispositionOut
from schemas.common import Id, Moment, Page
from schemas.pbx_events import Direction

router = APIRouter(prefix="/api/calls", tags=["calls"])


@router.get("", response_model=Page[CallOut])
async def list_calls(
    db: DbDep,
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
    e164 = to_e164(number, region=settings.default_region) if number is not None else None
    query = calls_queries.list_query(
        number=number, e164=e164, outcome=outcome, direction=direction, since=since, until=until
    )
    return await db.read(lambda s: paginate(s, query, page))


@router.get("/{call_id:id}", response_model=CallDetail)
async def get_call(call_id: Id, db: DbDep, _user: CallCenterUser):
    """One call with its legs and its timeline."""
    call, legs, timeline = await db.read(lambda s: calls_queries.detail(session=s, call_id=call_id))
    return CallDetail.model_validate({**CallOut.model_validate(call).model_dump(), "legs": legs, "timeline": timeline})


@router.post("/{call_id:id}/disposition", response_model=DispositionOut, status_code=status.HTTP_201_CREATED)
async def add_disposition(call_id: Id, body: DispositionIn, db: DbDep, user: CallCenterUser):
    """The operator's after-call note and next step (the panel's ``disposition`` frame does the same)."""
    disposition = await db.run(
        lambda session: DispositionOut.model_validate(
            dispositions.record(session=session, call_id=call_id, actor=user, now=utcnow(), **body.model_dump())
        )
    )
    return disposition.model_copy(update={"do_not_call": body.do_not_call})
