"""One manager per client, while they work it: a claim on the contact, taken by a call list's
attempt or a callback taken into work, given back with the result, lapsing after
``LIST_CLAIM_MINUTES`` otherwise.  Two managers taking the same contact at once: the second
insert finds the first one's live claim and changes nothing, and that manager is told no."""

from datetime import datetime

from sqlalchemy import case, delete, or_, update
from sqlalchemy.orm import Session

from app.contacts.models import ContactClaim
from app.database import dialect_insert

_CLAIM = ContactClaim.__table__


def take(*, session: Session, contact_id: int, operator_id: int, now: datetime, until: datetime) -> bool:
    """Takes (or renews) the claim on the contact in one statement; False when another manager
    holds a live one.  A claim that ran out is anybody's; renewing one's own keeps its attempt."""
    proposed = dialect_insert(session, _CLAIM).values(contact_id=contact_id, operator_id=operator_id, expires_at=until)
    mine = _CLAIM.c.operator_id == proposed.excluded.operator_id
    statement = proposed.on_conflict_do_update(
        index_elements=["contact_id"],
        set_={
            "operator_id": proposed.excluded.operator_id,
            "expires_at": proposed.excluded.expires_at,
            "attempt_id": case((mine, _CLAIM.c.attempt_id), else_=None),
        },
        where=or_(_CLAIM.c.expires_at <= now, mine),
    ).returning(_CLAIM.c.operator_id)
    return session.execute(statement).first() is not None


def attach(*, session: Session, contact_id: int, attempt_id: int) -> None:
    """Names the call list's attempt the claim was taken for."""
    session.execute(update(ContactClaim).where(ContactClaim.contact_id == contact_id).values(attempt_id=attempt_id))


def give_back(*, session: Session, contact_id: int, operator_id: int) -> None:
    session.execute(
        delete(ContactClaim).where(ContactClaim.contact_id == contact_id, ContactClaim.operator_id == operator_id)
    )


def holder(*, session: Session, contact_id: int, now: datetime) -> int | None:
    """Who holds a live claim on the contact."""
    claim = session.get(ContactClaim, contact_id)
    return claim.operator_id if claim is not None and claim.expires_at > now else None
