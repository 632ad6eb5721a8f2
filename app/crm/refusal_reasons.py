"""Refusal reasons: why a deal was lost, and after how many days (if ever) it is worth trying again."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.crm.models import RefusalReason
from app.errors import Conflict, NotFound


def listed(*, session: Session) -> list[RefusalReason]:
    return list(session.execute(select(RefusalReason).order_by(RefusalReason.id)).scalars())


def create(*, session: Session, name: str, reopen_after_days: int | None, reopen_as_new_deal: bool) -> RefusalReason:
    _name_free(session=session, name=name, reason_id=None)
    reason = RefusalReason(name=name, reopen_after_days=reopen_after_days, reopen_as_new_deal=reopen_as_new_deal)
    session.add(reason)
    session.flush()
    return reason


def update(
    *, session: Session, reason_id: int, name: str, reopen_after_days: int | None, reopen_as_new_deal: bool
) -> RefusalReason:
    """Renames a reason or changes its reopen delay (None: never reopens)."""
    reason = session.get(RefusalReason, reason_id)
    if reason is None:
        raise NotFound(f"no refusal reason {reason_id}")
    _name_free(session=session, name=name, reason_id=reason_id)
    reason.name, reason.reopen_after_days, reason.reopen_as_new_deal = name, reopen_after_days, reopen_as_new_deal
    return reason


def _name_free(*, session: Session, name: str, reason_id: int | None) -> None:
    taken = select(RefusalReason.id).where(RefusalReason.name == name)
    if reason_id is not None:
        taken = taken.where(RefusalReason.id != reason_id)
    if session.execute(taken).first():
        raise Conflict(f"refusal reason {name!r} already exists")
