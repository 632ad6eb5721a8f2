"""A contact has at most one owner, who also owns its open deals (no two managers work one client);
every change of owner is logged (claimed, takeover, reassigned, answered)."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.contacts import local_time
from app.contacts import service as contacts_service
from app.contacts.models import Contact
from app.crm.models import Deal, DealStatus, OwnershipChange
from app.errors import Forbidden, Unprocessable
from app.operators.lookup import require_operator


def update_contact(*, session: Session, contact_id: int, changes: dict, actor: User, now: datetime) -> Contact:
    """Names the client and their time zone (its owner, anyone for a client nobody owns,
    supervisors); supervisors also set the personal manager (``owner_id``, an operator) and the VIP flag."""
    contact = contacts_service.get(session=session, contact_id=contact_id, lock=True)
    changes = dict(changes)
    if changes.get("vip") is None:
        changes.pop("vip", None)
    elif actor.role == Role.operator:
        raise Forbidden("only supervisors mark VIP clients")
    if "owner_id" in changes:
        if actor.role == Role.operator:
            raise Forbidden("only supervisors assign a client's personal manager")
        if (owner_id := changes["owner_id"]) is not None:
            require_operator(session=session, user_id=owner_id, as_what="a client's manager")
    if "timezone" in changes:
        changes["timezone"] = changes["timezone"] or None
        if changes["timezone"] and not local_time.is_zone(changes["timezone"]):
            raise Unprocessable(f"{changes['timezone']!r} is not a time zone (an IANA name: Asia/Vladivostok)")
    if (
        {"name", "company", "timezone"} & changes.keys()
        and actor.role == Role.operator
        and contact.owner_id not in (None, actor.id)
    ):
        raise Forbidden(f"contact {contact_id} is another manager's client: its owner or a supervisor renames it")
    if "owner_id" in changes:
        change_owner(
            session=session,
            contact=contact,
            owner_id=changes.pop("owner_id"),
            by=actor.id,
            reason="reassigned",
            now=now,
        )
    for name, value in changes.items():
        setattr(contact, name, value)
    contact.updated_at = now
    return contact


def history(*, session: Session, contact_id: int) -> list[OwnershipChange]:
    """Who owned the client when, oldest first."""
    contacts_service.get(session=session, contact_id=contact_id)
    query = select(OwnershipChange).where(OwnershipChange.contact_id == contact_id).order_by(OwnershipChange.id)
    return list(session.execute(query).scalars())


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
