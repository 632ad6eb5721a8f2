"""The do-not-call register, keyed by E.164: added by hand, from a CSV file (all or nothing) or by
an operator's disposition after a call; removed by supervisors.  Outbound calling asks it first
(``reason``): click-to-call answers 409 with the entry, call lists leave the number out."""

import csv
import io
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.contacts.models import DoNotCall
from app.contacts.phone import to_e164
from app.contacts.transfer import ImportRejected
from app.database import insert_ignoring_duplicates
from app.errors import Conflict, NotFound, Unprocessable
from app.spreadsheet import unescape_cell

COLUMNS = ("phone", "source", "date")


def reason(*, session: Session, phone: str | None) -> str | None:
    """Why ``phone`` may not be called, or None."""
    if phone is None:
        return None
    entry = session.execute(select(DoNotCall).where(DoNotCall.phone == phone)).scalar()
    if entry is None:
        return None
    return f"{phone} is on the do-not-call register ({entry.source}, {entry.listed_on.isoformat()})"


def add(
    *, session: Session, phone: str, source: str, listed_on: date, by: int | None, now: datetime, region: str
) -> DoNotCall:
    number = to_e164(phone, region=region)
    if number is None:
        raise Unprocessable(f"{phone!r} is not a phone number")
    if session.execute(select(DoNotCall.id).where(DoNotCall.phone == number)).first():
        raise Conflict(f"{number} is already on the do-not-call register")
    entry = DoNotCall(phone=number, source=source, listed_on=listed_on, added_by=by, created_at=now)
    session.add(entry)
    session.flush()
    return entry


def add_if_missing(*, session: Session, phone: str, source: str, listed_on: date, by: int | None, now: datetime):
    """``phone`` (E.164) onto the register unless it is there already (a disposition's "do not call")."""
    session.execute(
        insert_ignoring_duplicates(session, DoNotCall.__table__, index_elements=["phone"]),
        [{"phone": phone, "source": source, "listed_on": listed_on, "added_by": by, "created_at": now}],
    )


def remove(*, session: Session, entry_id: int) -> None:
    if not session.execute(delete(DoNotCall).where(DoNotCall.id == entry_id)).rowcount:
        raise NotFound(f"no do-not-call entry {entry_id}")


def listed(*, phone: str | None):
    query = select(DoNotCall).order_by(DoNotCall.id.desc())
    return query.where(DoNotCall.phone == phone) if phone else query


def import_csv(*, session: Session, text: str, region: str, by: int, now: datetime) -> dict:
    """Rows of ``phone,source,date`` (``source`` default "import", ``date`` default today, ISO);
    numbers already listed are left as they are; one unusable row rejects the file."""
    reader = csv.DictReader(io.StringIO(text.replace("\x00", "")))
    try:
        header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    except csv.Error as exc:
        raise ImportRejected([{"line": 1, "error": f"unreadable CSV: {exc}"}]) from None
    if "phone" not in header:
        raise ImportRejected(
            [{"line": 1, "error": f"the header needs a 'phone' column (columns: {', '.join(COLUMNS)})"}]
        )
    rows, errors = {}, []
    try:
        for raw in reader:
            row = {(k or "").strip().lower(): unescape_cell((v or "").strip()) for k, v in raw.items() if k}
            number = to_e164(row.get("phone"), region=region)
            try:
                listed_on = date.fromisoformat(row["date"]) if row.get("date") else now.date()
            except ValueError:
                errors.append({"line": reader.line_num, "error": f"{row['date']!r} is not a date (YYYY-MM-DD)"})
                continue
            if number is None:
                errors.append({"line": reader.line_num, "error": f"{row.get('phone')!r} is not a phone number"})
            elif len(row.get("source") or "") > 100:
                errors.append({"line": reader.line_num, "error": "source is longer than 100 characters"})
            else:
                rows.setdefault(number, {"source": row.get("source") or "import", "listed_on": listed_on})
    except csv.Error as exc:
        errors.append({"line": reader.line_num, "error": f"unreadable CSV: {exc}"})
    if errors:
        raise ImportRejected(errors)
    before = session.execute(select(func.count()).select_from(DoNotCall)).scalar()
    for number, row in rows.items():
        add_if_missing(session=session, phone=number, by=by, now=now, **row)
    added = session.execute(select(func.count()).select_from(DoNotCall)).scalar() - before
    return {"rows": len(rows), "added": added, "already_listed": len(rows) - added}
