from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response
from sqlalchemy import select

from app.auth.deps import CallCenterUser, Supervisor
from app.auth.models import Role
from app.calls.models import Call
from app.contacts import merge, transfer
from app.contacts.models import Contact
from app.contacts.phone import to_e164
from app.crm import ownership
from app.crm.models import OwnershipChange
from app.database import utcnow
from app.deps import DbDep, ReadSessionDep, SessionDep, SettingsDep
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.operators.lookup import require_operator
from app.pagination import PageDep, paginate
from app.spreadsheet import CSV_RESPONSE
from schemas.calls import CallOut
from schemas.common import Id, Page
from schemas.contacts import ContactDetail, ContactIn, ContactOut, ContactUpdate, MergeIn

router = APIRouter(prefix="/api/contacts", tags=["contacts"])

CONTACT_CALLS_SHOWN = 100
MAX_IMPORT_BYTES = 50_000_000


@router.get("", response_model=Page[ContactOut])
async def list_contacts(
    session: ReadSessionDep,
    settings: SettingsDep,
    _user: CallCenterUser,
    page: PageDep,
    phone: Annotated[str | None, Query(description="a number in any notation")] = None,
):
    """Contacts, newest first; ``phone`` finds the one with that number."""
    query = select(Contact).order_by(Contact.id.desc())
    if phone is not None:
        query = query.where(Contact.phone == to_e164(phone, region=settings.default_region))
    return await paginate(session, query, page)


@router.post("/import")
async def import_contacts(request: Request, db: DbDep, settings: SettingsDep, _user: Supervisor) -> dict:
    """Supervisors: a CSV file (``Content-Type: text/csv``; columns ``phone``, ``name``, ``company``,
    ``owner`` = a user name) as the request body. Numbers are deduplicated by their E.164 form; known
    contacts get what they lack. Any unusable row (a number that is not one, an unknown owner)
    rejects the file: 422 with every bad line and why, nothing imported."""
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise Unprocessable(f"the file is over {MAX_IMPORT_BYTES // 1_000_000} MB; split it")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unprocessable("the file is not UTF-8 text") from None
    return await db.run(
        lambda s: transfer.import_csv(session=s, text=text, region=settings.default_region, now=utcnow())
    )


@router.get("/export", response_class=Response, responses=CSV_RESPONSE)
async def export_contacts(db: DbDep, _user: Supervisor) -> Response:
    """Supervisors: every contact as CSV (id, phone, name, company, owner, vip, created_at)."""
    text = await db.read(lambda s: transfer.export_csv(session=s))
    headers = {"Content-Disposition": 'attachment; filename="contacts.csv"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


@router.post("", response_model=ContactOut, status_code=status.HTTP_201_CREATED)
async def create_contact(body: ContactIn, session: SessionDep, settings: SettingsDep, _user: CallCenterUser):
    """A client entered by hand (a call from a new number creates one by itself); 409 when the
    number is known, 422 when it is not a phone number."""
    phone = to_e164(body.phone, region=settings.default_region)
    if phone is None:
        raise Unprocessable(f"{body.phone!r} is not a phone number")
    if (await session.execute(select(Contact.id).where(Contact.phone == phone))).first():
        raise Conflict(f"a contact with {phone} exists")
    contact = Contact(phone=phone, phone_raw=body.phone, name=body.name, company=body.company)
    session.add(contact)
    await session.flush()
    return contact


@router.get("/{contact_id:id}", response_model=ContactDetail)
async def get_contact(contact_id: Id, session: ReadSessionDep, _user: CallCenterUser):
    """One contact with their latest calls."""
    contact = await _get(session, contact_id)
    query = (
        select(Call).where(Call.contact_id == contact_id).order_by(Call.started_at.desc()).limit(CONTACT_CALLS_SHOWN)
    )
    calls = [CallOut.model_validate(call) for call in (await session.execute(query)).scalars()]
    return ContactDetail(**ContactOut.model_validate(contact).model_dump(), calls=calls)


@router.patch("/{contact_id:id}", response_model=ContactOut)
async def update_contact(contact_id: Id, body: ContactUpdate, session: SessionDep, user: CallCenterUser):
    """Names the client (its owner, anyone for a client nobody owns, supervisors); supervisors also set
    the personal manager (``owner_id``, an operator) and the VIP flag."""
    contact = await _get(session, contact_id)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("vip") is None:
        changes.pop("vip", None)
    elif user.role == Role.operator:
        raise Forbidden("only supervisors mark VIP clients")
    if "owner_id" in changes:
        if user.role == Role.operator:
            raise Forbidden("only supervisors assign a client's personal manager")
        if (owner_id := changes["owner_id"]) is not None:
            await session.run_sync(
                lambda s: require_operator(session=s, user_id=owner_id, as_what="a client's manager")
            )
    if {"name", "company"} & changes.keys() and user.role == Role.operator and contact.owner_id not in (None, user.id):
        raise Forbidden(f"contact {contact_id} is another manager's client: its owner or a supervisor renames it")
    now = utcnow()
    if "owner_id" in changes:
        owner_id = changes.pop("owner_id")
        await session.run_sync(
            lambda s: ownership.change_owner(
                session=s, contact=contact, owner_id=owner_id, by=user.id, reason="reassigned", now=now
            )
        )
    for name, value in changes.items():
        setattr(contact, name, value)
    contact.updated_at = now
    return contact


@router.post("/{contact_id:id}/merge")
async def merge_contacts(contact_id: Id, body: MergeIn, db: DbDep, _user: Supervisor) -> dict:
    """Supervisors: contact ``other_id`` is the same client; its calls, deals, touches, callbacks and
    tasks move here and it is deleted (its number is no longer looked up: calls from it start a new contact)."""

    def write(session):
        survivor, moved = merge.merge(session=session, survivor_id=contact_id, other_id=body.other_id, now=utcnow())
        return {"contact": ContactOut.model_validate(survivor).model_dump(), "moved": moved}

    return await db.run(write)


@router.get("/{contact_id:id}/owners")
async def ownership_history(contact_id: Id, session: ReadSessionDep, _user: CallCenterUser) -> list[dict]:
    """Who owned the client when: every takeover and reassignment, oldest first."""
    await _get(session, contact_id)
    query = select(OwnershipChange).where(OwnershipChange.contact_id == contact_id).order_by(OwnershipChange.id)
    return [change.model_dump() for change in (await session.execute(query)).scalars()]


async def _get(session, contact_id: int) -> Contact:
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    return contact
