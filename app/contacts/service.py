"""Contacts: found by E.164 number, created on the first call from a new one."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contacts.models import Contact
from app.database import insert_ignoring_duplicates, utcnow


def find_or_create_many(*, session: Session, numbers: dict[str, str]) -> dict[str, int]:
    """Contact ids for E.164 numbers (mapped to their raw form), creating the new ones; safe when
    two processes see a new number at once."""
    ids = _ids_by_phone(session=session, phones=list(numbers))
    missing = [phone for phone in numbers if phone not in ids]
    if missing:
        now = utcnow()
        session.execute(
            insert_ignoring_duplicates(session, Contact.__table__, index_elements=["phone"]),
            [{"phone": phone, "phone_raw": numbers[phone], "created_at": now, "updated_at": now} for phone in missing],
        )
        ids.update(_ids_by_phone(session=session, phones=missing))
    return ids


def _ids_by_phone(*, session: Session, phones: list[str]) -> dict[str, int]:
    return dict(session.execute(select(Contact.phone, Contact.id).where(Contact.phone.in_(phones))).all())
