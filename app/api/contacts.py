from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response

from app.auth.deps import CallCenterUser, Supervisor
from app.calls import queries as calls_queries
from app.contacts import local_time, transfer
from app.contacts import service as contacts_service
from app.contacts.phone import to_e164
from app.crm import ownership
from app.database import utcnow
from app.deps import DbDep, SettingsDep
from app.flows import contact_merge
from app.operators import service as operators_service
from app.pagination import PageDep, paginate
from app.spreadsheet import CSV_RESPONSE, uploaded_text
from schemas.calls import CallOut
from schemas.common import Id, Page
from schemas.contacts import ContactDetail, ContactIn, ContactOut, ContactUpdate, MergeIn

router = APIRouter(prefix="/api/contacts", tags=["contacts"])

CONTACT_CALLS_SHOWN = 100


@router.get("", response_model=Page[ContactOut])
async def list_contacts(
    db: DbDep,
    settings: SettingsDep,
    _user: CallCenterUser,
    page: PageDep,
    phone: Annotated[str | None, Query(description="a number in any notation")] = None,
):
    """Contacts, newest first; ``phone`` finds the one with that number."""
    e164 = to_e164(phone, region=settings.default_region) if phone is not None else None
    query = contacts_service.list_query(by_phone=phone is not None, phone=e164)
    return await db.read(lambda s: paginate(s, query, page))


@router.post("/import")
async def import_contacts(request: Request, db: DbDep, settings: SettingsDep, user: CallCenterUser) -> dict:
    """Supervisors and collectors (operators with the team role ``collector``): a CSV file
    (``Content-Type: text/csv``; columns ``phone``, ``name``, ``company``, ``owner`` = a user name,
    ``timezone``, ``collected_by`` = a user name) as the request body. Numbers are deduplicated by
    their E.164 form; known contacts get what they lack; a collector's new contacts are theirs to be
    credited for. Any unusable row (a number that is not one, an unknown owner) rejects the file:
    422 with every bad line and why, nothing imported."""
    text = await uploaded_text(request)

    def write(session) -> dict:
        collector = operators_service.credited_collector(session=session, user=user)
        return transfer.import_csv(
            session=session, text=text, region=settings.default_region, now=utcnow(), collected_by=collector
        ).summary()

    return await db.run(write)


@router.get("/export", response_class=Response, responses=CSV_RESPONSE)
async def export_contacts(db: DbDep, _user: Supervisor) -> Response:
    """Supervisors: every contact as CSV (id, phone, name, company, owner, vip, timezone, collected_by,
    created_at)."""
    text = await db.read(lambda s: transfer.export_csv(session=s))
    headers = {"Content-Disposition": 'attachment; filename="contacts.csv"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


@router.post("", response_model=ContactOut, status_code=status.HTTP_201_CREATED)
async def create_contact(body: ContactIn, db: DbDep, settings: SettingsDep, _user: CallCenterUser):
    """A client entered by hand (a call from a new number creates one by itself); 409 when the
    number is known, 422 when it is not a phone number."""
    phone = to_e164(body.phone, region=settings.default_region)
    return await db.run(
        lambda s: contacts_service.create(
            session=s, phone=phone, written=body.phone, name=body.name, company=body.company, now=utcnow()
        )
    )


@router.get("/{contact_id:id}", response_model=ContactDetail)
async def get_contact(contact_id: Id, db: DbDep, settings: SettingsDep, _user: CallCenterUser):
    """One contact with their latest calls and the time zone to call them in."""

    def read(session):
        contact = contacts_service.get(session=session, contact_id=contact_id)
        calls = calls_queries.of_contact(session=session, contact_id=contact_id, limit=CONTACT_CALLS_SHOWN)
        zone, guessed = local_time.zone_of(phone=contact.phone, own=contact.timezone, fallback=settings.timezone)
        return ContactDetail(
            **ContactOut.model_validate(contact).model_dump(),
            calls=[CallOut.model_validate(c) for c in calls],
            local_timezone=zone,
            timezone_guessed=guessed,
        )

    return await db.read(read)


@router.patch("/{contact_id:id}", response_model=ContactOut)
async def update_contact(contact_id: Id, body: ContactUpdate, db: DbDep, user: CallCenterUser):
    """Names the client and their time zone (its owner, anyone for a client nobody owns, supervisors);
    supervisors also set the personal manager (``owner_id``, an operator) and the VIP flag."""
    changes = body.model_dump(exclude_unset=True)
    return await db.run(
        lambda s: ownership.update_contact(session=s, contact_id=contact_id, changes=changes, actor=user, now=utcnow())
    )


@router.post("/{contact_id:id}/merge")
async def merge_contacts(contact_id: Id, body: MergeIn, db: DbDep, _user: Supervisor) -> dict:
    """Supervisors: contact ``other_id`` is the same client; its calls, deals, touches, callbacks and
    tasks move here and it is deleted (its number is no longer looked up: calls from it start a new contact)."""

    def write(session):
        survivor, moved = contact_merge.merge(
            session=session, survivor_id=contact_id, other_id=body.other_id, now=utcnow()
        )
        return {"contact": ContactOut.model_validate(survivor).model_dump(), "moved": moved}

    return await db.run(write)


@router.get("/{contact_id:id}/owners")
async def ownership_history(contact_id: Id, db: DbDep, _user: CallCenterUser) -> list[dict]:
    """Who owned the client when: every takeover and reassignment, oldest first."""
    changes = await db.read(lambda s: ownership.history(session=s, contact_id=contact_id))
    return [change.model_dump() for change in changes]
