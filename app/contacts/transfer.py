"""Contacts in and out as CSV: import (deduplicated by E.164 number, all or nothing) and export."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.auth.models import Role, User
from app.contacts import local_time
from app.contacts.models import Contact
from app.contacts.phone import to_e164
from app.errors import AppError
from app.spreadsheet import csv_text, unescape_cell

COLUMNS = ("phone", "name", "company", "owner", "timezone", "collected_by")  # owner, collected_by: user names
TEXT_LIMITS = {"phone": 128, "name": 200, "company": 200, "timezone": 64, "collected_by": 100}
EXPORT_COLUMNS = ("id", "phone", "name", "company", "owner", "vip", "timezone", "collected_by", "created_at")


class ImportRejected(AppError):
    """The file had unusable rows: nothing was imported; ``errors`` says which and why."""

    status_code = 422

    def __init__(self, errors: list[dict]) -> None:
        super().__init__(f"{len(errors)} row(s) cannot be imported; nothing was imported")
        self.extra = {"errors": errors}


@dataclass(frozen=True)
class Imported:
    created: int
    updated: int
    phones: list[str]  # every number of the file, in E.164 (a call list adds these contacts)

    def summary(self) -> dict:
        rows = len(self.phones)
        return {
            "rows": rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": rows - self.created - self.updated,
        }


def import_csv(*, session: Session, text: str, region: str, now: datetime, collected_by: int | None = None) -> Imported:
    """Creates the new numbers and fills in known ones (a name or company they lack, an owner);
    a row with an unusable number or an unknown owner rejects the whole file.  ``collected_by``: a
    collector importing their own finds (else the file's ``collected_by`` column)."""
    if "\x00" in text:
        raise ImportRejected([{"line": text[: text.index("\x00")].count("\n") + 1, "error": "a NUL character"}])
    reader = csv.DictReader(io.StringIO(text))
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise ImportRejected([{"line": 1, "error": f"unreadable CSV: {exc}"}]) from None
    if fieldnames is None or "phone" not in [f.strip().lower() for f in fieldnames]:
        raise ImportRejected(
            [{"line": 1, "error": f"the header needs a 'phone' column (columns: {', '.join(COLUMNS)})"}]
        )
    owners = dict(session.execute(select(User.name, User.id).where(User.role == Role.operator)).all())
    rows: dict[str, dict] = {}
    errors = []
    for line, row in _rows(reader):
        if isinstance(row, str):
            errors.append({"line": line, "error": row})
            continue
        phone = to_e164(row.get("phone"), region=region)
        if phone is None:
            errors.append({"line": line, "error": f"{row.get('phone')!r} is not a phone number"})
            continue
        owner = row.get("owner")
        if owner and owner not in owners:
            errors.append({"line": line, "error": f"no operator named {owner!r}"})
            continue
        found_by = row.get("collected_by")
        if found_by and found_by not in owners:
            errors.append({"line": line, "error": f"no operator named {found_by!r}"})
            continue
        if row.get("timezone") and not local_time.is_zone(row["timezone"]):
            errors.append({"line": line, "error": f"{row['timezone']!r} is not a time zone (Asia/Vladivostok)"})
            continue
        merged = rows.setdefault(phone, {"phone_raw": row.get("phone")})
        for field in ("name", "company", "timezone"):
            merged[field] = merged.get(field) or row.get(field) or None
        if owner:
            merged["owner_id"] = owners[owner]
        if collected_by or found_by:
            merged["collected_by"] = collected_by or owners[found_by]
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
        for field in ("name", "company", "owner_id", "timezone", "collected_by"):
            if row.get(field) and not getattr(contact, field):
                setattr(contact, field, row[field])
                changed = True
        if changed:
            contact.updated_at = now
            updated += 1
    session.flush()
    return Imported(created=created, updated=updated, phones=list(rows))


def _rows(reader: csv.DictReader):
    """``(line, row)`` with the cells trimmed and un-escaped, or ``(line, reason)`` for a row that
    cannot be read; the file's line numbers, a quoted cell may span several."""
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, f"unreadable CSV: {exc}"
            return
        if None in raw:
            yield reader.line_num, "the row has more cells than the header"
            continue
        row = {(k or "").strip().lower(): unescape_cell((v or "").strip()) for k, v in raw.items()}
        too_long = [f for f, limit in TEXT_LIMITS.items() if len(row.get(f) or "") > limit]
        if too_long:
            yield reader.line_num, f"{too_long[0]} is longer than {TEXT_LIMITS[too_long[0]]} characters"
            continue
        yield reader.line_num, row


def export_csv(*, session: Session) -> str:
    """Every contact as CSV."""
    collector = aliased(User)
    query = (
        select(Contact, User.name, collector.name)
        .outerjoin(User, User.id == Contact.owner_id)
        .outerjoin(collector, collector.id == Contact.collected_by)
        .order_by(Contact.id)
    )
    rows = (
        [c.id, c.phone, c.name, c.company, owner, c.vip, c.timezone, found_by, c.created_at.isoformat()]
        for c, owner, found_by in session.execute(query)
    )
    return csv_text([EXPORT_COLUMNS, *rows])
