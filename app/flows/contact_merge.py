"""Two contacts that are one client become one: everything of the other moves to the survivor."""

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from app.callbacks.models import Callback
from app.calls.models import Call
from app.contacts.models import Contact
from app.crm.models import Deal, OwnershipChange, Task, Touch
from app.database import ROW_LOCK
from app.errors import NotFound, Unprocessable

# Every table that points at a contact.
_REFERENCES = (Call, Callback, Deal, Touch, Task, OwnershipChange)


def merge(*, session: Session, survivor_id: int, other_id: int, now: datetime) -> tuple[Contact, dict[str, int]]:
    """Moves the other contact's calls, deals, touches, callbacks and tasks to the survivor, fills in
    what the survivor lacks (name, company, owner, VIP), and deletes the other; returns what moved."""
    if survivor_id == other_id:
        raise Unprocessable("a contact cannot be merged into itself")
    survivor = session.get(Contact, survivor_id, with_for_update=ROW_LOCK)
    other = session.get(Contact, other_id, with_for_update=ROW_LOCK)
    if survivor is None or other is None:
        raise NotFound(f"no contact {other_id if survivor is not None else survivor_id}")
    moved = {}
    for model in _REFERENCES:
        moved[model.__tablename__] = session.execute(
            update(model)
            .where(model.contact_id == other.id)
            .values(contact_id=survivor.id)
            .execution_options(synchronize_session=False)
        ).rowcount
    survivor.name = survivor.name or other.name
    survivor.company = survivor.company or other.company
    survivor.owner_id = survivor.owner_id or other.owner_id
    survivor.vip = survivor.vip or other.vip
    survivor.updated_at = now
    session.execute(delete(Contact).where(Contact.id == other.id))
    return survivor, moved
