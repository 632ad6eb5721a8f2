"""Contacts: found by E.164 number, created on the first call from a new one."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.contacts.models import Contact
from app.database import insert_ignoring_duplicates, utcnow


async def get(*, session: AsyncSession, contact_id: int) -> Contact | None:
    """The contact with this id."""
    return await session.get(Contact, contact_id)


async def get_by_phone(*, session: AsyncSession, phone: str) -> Contact | None:
    """The contact whose E.164 number this is."""
    return (await session.execute(select(Contact).where(Contact.phone == phone))).scalar_one_or_none()


async def find_or_create(*, session: AsyncSession, phone: str, phone_raw: str) -> Contact:
    """The contact for a number, created if new; safe when two processes see a new number at once."""
    contact = await get_by_phone(session=session, phone=phone)
    if contact is not None:
        return contact
    now = utcnow()
    await session.execute(
        insert_ignoring_duplicates(session, Contact.__table__, index_elements=["phone"]).values(
            phone=phone, phone_raw=phone_raw, created_at=now, updated_at=now
        )
    )
    return await get_by_phone(session=session, phone=phone)
