"""A contact has at most one owner, who also owns its open deals (no two managers work one client);
every change of owner is logged (claimed, takeover, reassigned, answered)."""

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.contacts.models import Contact
from app.crm.models import Deal, DealStatus, OwnershipChange


def change_owner(
    *, session: Session, contact: Contact, owner_id: int | None, by: int, reason: str, now: datetime
) -> None:
    if contact.owner_id == owner_id:
        return
    if owner_id is not None:
        session.add(
            OwnershipChange(
                contact_id=contact.id,
                from_owner_id=contact.owner_id,
                to_owner_id=owner_id,
                by_user_id=by,
                reason=reason,
                at=now,
            )
        )
        session.execute(
            update(Deal)
            .where(Deal.contact_id == contact.id, Deal.status == DealStatus.open)
            .values(owner_id=owner_id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    contact.owner_id, contact.updated_at = owner_id, now
