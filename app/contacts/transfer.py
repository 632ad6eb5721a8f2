"""Contacts in and out as CSV: import (deduplicated by E.164 number, all or nothing) and export."""

import csv
import io
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.contacts.models import Contact
from app.contacts.phone import to_e164
from app.errors import AppError

COLUMNS = ("phone", "name", "company", "owner")  # owner: the manager's user name
EXPORT_COLUMNS = ("id", "phone", "name", "company", "owner", "vip", "created_at")


class ImportRejected(AppError):
    """The file had unusable rows: nothing was imported; ``errors`` says which and why."""

    status_code = 422

    def __init__(self, errors: list[dict]) -> None:
        super().__init__(f"{len(errors)} row(s) cannot be imported; nothing was imported")
        self.extra = {"errors": errors}


def import_csv(*, session: Session, text: str, region: str, now: datetime) -> dict:
    """Creates the new numbers and fills in known ones (a name or company they lack, an owner);
    a row with an unusable number or an unknown owner rejects the whole file."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "phone" not in [f.strip().lower() for f in reader.fieldnames]:
        raise ImportRejected(
            [{"line": 1, "error": f"the header needs a 'phone' column (columns: {', '.join(COLUMNS)})"}]
        )
    owners = {name: user_id for user_id, name in session.execute(select(User.id, User.name)).all()}
    rows: dict[str, dict] = {}
    errors = []
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        phone = to_e164(row.get("phone"), region=region)
        if phone is None:
            errors.append({"line": line, "error": f"{row.get('phone')!r} is not a phone number"})
            continue
        owner = row.get("owner")
        if owner and owner not in owners:
            errors.append({"line": line, "error": f"no user named {owner!r}"})
            continue
        merged = rows.setdefault(phone, {"phone_raw": row.get("phone")})
        for field in ("name", "company"):
            merged[field] = merged.get(field) or row.get(field) or None
        if owner:
            merged["owner_id"] = owners[owner]
    if errors:
        raise ImportRejected(errors)
    known = {c.phone: c for c in session.execute(select(Contact).where(Contact.phone.in_(list(rows)))).scalars()}
    created = updated = 0
    for phone, row in rows.items():
        contact = known.get(phone)
        if contact is None:
            session.add(Contact(phone=phone, created_at=now, updated_at=now, **row))
            created += 1
            continue
        changed = False
        for field in ("name", "company", "owner_id"):
            if row.get(field) and not getattr(contact, field):
                setattr(contact, field, row[field])
                changed = True
        if changed:
            contact.updated_at = now
            updated += 1
    session.flush()
    return {
        "rows": sum(1 for _ in rows),
        "created": created,
        "updated": updated,
        "unchanged": len(rows) - created - updated,
    }


def export_csv(*, session: Session) -> str:
    """Every contact as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    query = select(Contact, User.name).outerjoin(User, User.id == Contact.owner_id).order_by(Contact.id)
    for contact, owner in session.execute(query):
        writer.writerow(
            [
                contact.id,
                contact.phone,
                contact.name,
                contact.company,
                owner,
                contact.vip,
                contact.created_at.isoformat(),
            ]
        )
    return buffer.getvalue()
