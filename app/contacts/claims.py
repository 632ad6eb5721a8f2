"""One manager per client, while they work it: a claim on the contact, taken by a call list's
attempt or a callback taken into work, given back with the result, lapsing after
``LIST_CLAIM_MINUTES`` otherwise.  Two managers taking the same contact at once: the second
insert does nothing, and that manager is told no."""

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.contacts.models import ContactClaim
from app.database import ROW_LOCK, insert_ignoring_duplicates


def take(*, session: Session, contact_id: int, operator_id: int, now: datetime, until: datetime) -> bool:
    """Takes (or renews) the claim on the contact; False when another manager holds it."""
    session.execute(delete(ContactClaim).where(ContactClaim.contact_id == contact_id, ContactClaim.expires_at <= now))
    session.execute(
        insert_ignoring_duplicates(session, ContactClaim.__table__, index_elements=["contact_id"]),
        [{"contact_id": contact_id, "operator_id": operator_id, "expires_at": until}],
    )
    claim = session.get(ContactClaim, contact_id, with_for_update=ROW_LOCK, populate_existing=True)
    if claim is None or claim.operator_id != operator_id:
        return False
    claim.expires_at = until
    return True


def give_back(*, session: Session, contact_id: int, operator_id: int) -> None:
    session.execute(
        delete(ContactClaim).where(ContactClaim.contact_id == contact_id, ContactClaim.operator_id == operator_id)
    )


def holder(*, session: Session, contact_id: int, now: datetime) -> int | None:
    """Who holds a live claim on the contact."""
    claim = session.get(ContactClaim, contact_id)
    return claim.operator_id if claim is not None and claim.expires_at > now else None
