"""Contacts: found by E.164 number, created on the first call from a new one or by hand."""

from datetime import datetime

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.contacts.models import Contact
from app.database import ROW_LOCK, insert_ignoring_duplicates, utcnow
from app.errors import Conflict, NotFound, Unprocessable


def list_query(*, by_phone: bool, phone: str | None) -> Select:
    """Contacts, newest first; ``by_phone``: the one with ``phone`` (E.164; None, not a number: nobody)."""
    query = select(Contact).order_by(Contact.id.desc())
    return query.where(Contact.phone == phone) if by_phone else query


def get(*, session: Session, contact_id: int, lock: bool = False) -> Contact:
    contact = session.get(Contact, contact_id, with_for_update=ROW_LOCK if lock else None)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    return contact


def create(
    *, session: Session, phone: str | None, written: str, name: str | None, company: str | None, now: datetime
) -> Contact:
    """A client entered by hand: 409 when the number is known, 422 when ``written`` is not a phone
    number (``phone``, its E.164 form, None)."""
    if phone is None:
        raise Unprocessable(f"{written!r} is not a phone number")
    if session.execute(select(Contact.id).where(Contact.phone == phone)).first():
        raise Conflict(f"a contact with {phone} exists")
    contact = Contact(phone=phone, phone_raw=written, name=name, company=company, created_at=now, updated_at=now)
    session.add(contact)
    session.flush()
    return contact


def find_or_create_many(*, session: Session, numbers: dict[str, str]) -> tuple[dict[str, int], set[int]]:
    """Contact ids for E.164 numbers (mapped to their raw form), creating the new ones, and the ids
    created now; safe when two processes see a new number at once (the other's row is read)."""
    ids = _ids_by_phone(session=session, phones=list(numbers))
    missing = [phone for phone in numbers if phone not in ids]
    created: set[int] = set()
    if missing:
        now = utcnow()
        table = Contact.__table__
        inserted = session.execute(
            insert_ignoring_duplicates(session, table, index_elements=["phone"], returning=("phone", "id")),
            [  # (sorted: one order of unique-key waits between racing processes)
                {"phone": phone, "phone_raw": numbers[phone], "created_at": now, "updated_at": now}
                for phone in sorted(missing)
            ],
        ).all()
        ids.update(inserted)
        created = {contact_id for _, contact_id in inserted}
        if raced := [phone for phone in missing if phone not in ids]:
            ids.update(_ids_by_phone(session=session, phones=raced))
    return ids, created


def _ids_by_phone(*, session: Session, phones: list[str]) -> dict[str, int]:
    return dict(session.execute(_BY_PHONE, {"phones": phones}).all())


_CONTACT = Contact.__table__
_BY_PHONE = select(_CONTACT.c.phone, _CONTACT.c.id).where(  # (built once: asked for every new call)
    _CONTACT.c.phone.in_(bindparam("phones", expanding=True))
)
