from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import select

from app.auth.deps import CallCenterUser
from app.auth.models import Role, User
from app.calls.models import Call
from app.contacts.models import Contact
from app.contacts.phone import to_e164
from app.database import utcnow
from app.deps import ReadSessionDep, SessionDep, SettingsDep
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.pagination import PageDep, paginate
from schemas.calls import CallOut
from schemas.common import Page
from schemas.contacts import ContactDetail, ContactIn, ContactOut, ContactUpdate

router = APIRouter(prefix="/api/contacts", tags=["contacts"])

CONTACT_CALLS_SHOWN = 100


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


@router.get("/{contact_id}", response_model=ContactDetail)
async def get_contact(contact_id: int, session: ReadSessionDep, _user: CallCenterUser):
    """One contact with their latest calls."""
    contact = await _get(session, contact_id)
    query = (
        select(Call).where(Call.contact_id == contact_id).order_by(Call.started_at.desc()).limit(CONTACT_CALLS_SHOWN)
    )
    calls = [CallOut.model_validate(call) for call in (await session.execute(query)).scalars()]
    return ContactDetail(**ContactOut.model_validate(contact).model_dump(), calls=calls)


@router.patch("/{contact_id}", response_model=ContactOut)
async def update_contact(contact_id: int, body: ContactUpdate, session: SessionDep, user: CallCenterUser):
    """Names the client; supervisors also set the personal manager (``owner_id``) and the VIP flag."""
    contact = await _get(session, contact_id)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("vip") is None:
        changes.pop("vip", None)
    elif user.role == Role.operator:
        raise Forbidden("only supervisors mark VIP clients")
    if "owner_id" in changes:
        if user.role == Role.operator:
            raise Forbidden("only supervisors assign a client's personal manager")
        if changes["owner_id"] is not None and await session.get(User, changes["owner_id"]) is None:
            raise NotFound(f"no user {changes['owner_id']}")
    for name, value in changes.items():
        setattr(contact, name, value)
    contact.updated_at = utcnow()
    return contact


async def _get(session, contact_id: int) -> Contact:
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    return contact
