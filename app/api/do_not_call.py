"""The do-not-call register: anyone in the call centre lists a number (a client who asked not to
be called); supervisors import a register's file and take numbers off."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.auth.deps import CallCenterUser, Supervisor
from app.contacts import do_not_call
from app.contacts.phone import to_e164
from app.database import utcnow
from app.deps import DbDep, SettingsDep
from app.pagination import PageDep, paginate
from app.spreadsheet import uploaded_text
from schemas.common import Id, Page
from schemas.contacts import DoNotCallIn, DoNotCallOut

router = APIRouter(prefix="/api/do-not-call", tags=["do-not-call"])


@router.get("", response_model=Page[DoNotCallOut])
async def list_register(
    db: DbDep,
    settings: SettingsDep,
    _user: CallCenterUser,
    page: PageDep,
    phone: Annotated[str | None, Query(max_length=64, description="a number in any notation")] = None,
):
    """The register, newest first; ``phone`` finds one number."""
    e164 = to_e164(phone, region=settings.default_region) if phone else None
    query = do_not_call.listed(phone=e164 or phone)
    return await db.read(lambda s: paginate(s, query, page))


@router.post("", response_model=DoNotCallOut, status_code=status.HTTP_201_CREATED)
async def add_to_register(body: DoNotCallIn, db: DbDep, settings: SettingsDep, user: CallCenterUser):
    """Lists a number (409 if it is listed already)."""
    now = utcnow()
    return await db.run(
        lambda s: do_not_call.add(
            session=s,
            phone=body.phone,
            source=body.source,
            listed_on=body.listed_on or now.date(),
            by=user.id,
            now=now,
            region=settings.default_region,
        )
    )


@router.post("/import")
async def import_register(request: Request, db: DbDep, settings: SettingsDep, user: Supervisor) -> dict:
    """Supervisors: a CSV file (``Content-Type: text/csv``; columns ``phone``, ``source``, ``date``
    as YYYY-MM-DD). Numbers listed already stay as they are; any unusable row rejects the file (422
    with every bad line), nothing imported."""
    text = await uploaded_text(request)
    return await db.run(
        lambda s: do_not_call.import_csv(session=s, text=text, region=settings.default_region, by=user.id, now=utcnow())
    )


@router.delete("/{entry_id:id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_from_register(entry_id: Id, db: DbDep, _user: Supervisor):
    await db.run(lambda s: do_not_call.remove(session=s, entry_id=entry_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
