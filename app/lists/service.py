"""Call lists as supervisors set them up: the list, its contacts (by hand or by a saved filter),
its members, and its progress."""

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.contacts.models import Contact
from app.crm import pipelines
from app.crm.models import Deal, DealStatus, RefusalReason
from app.database import insert_ignoring_duplicates
from app.errors import Conflict, NotFound, Unprocessable
from app.lists.models import Attempt, AttemptStatus, CallList, ListContact, ListContactStatus, ListMember
from app.operators.lookup import require_operator

CHUNK = 5000
REACHED = ("wrong_number", "refused", "callback", "meeting", "do_not_call")  # a person answered (or not the one)


def create(*, session: Session, fields: dict, now: datetime) -> CallList:
    pipelines.get(session=session, pipeline_id=fields["pipeline_id"])
    if session.execute(select(CallList.id).where(CallList.name == fields["name"])).first():
        raise Conflict(f"a list named {fields['name']!r} exists")
    call_list = CallList(**fields, created_at=now)
    session.add(call_list)
    session.flush()
    return call_list


def get(*, session: Session, list_id: int) -> CallList:
    call_list = session.get(CallList, list_id)
    if call_list is None:
        raise NotFound(f"no call list {list_id}")
    return call_list


def update(*, session: Session, list_id: int, changes: dict) -> CallList:
    call_list = get(session=session, list_id=list_id)
    if "pipeline_id" in changes:
        pipelines.get(session=session, pipeline_id=changes["pipeline_id"])
    for name, value in changes.items():
        setattr(call_list, name, value)
    return call_list


def visible_to(*, session: Session, user: User) -> list[CallList]:
    """Every list to supervisors; to an operator, those they work."""
    query = select(CallList).order_by(CallList.name)
    if user.role == Role.operator:
        query = query.join(ListMember, ListMember.list_id == CallList.id).where(ListMember.operator_id == user.id)
    return list(session.execute(query).scalars())


def add_contacts(
    *,
    session: Session,
    list_id: int,
    contact_ids: list[int] | None,
    no_owner: bool,
    stage_id: int | None,
    now: datetime,
) -> int:
    """Adds contacts by id, or those a filter finds (no owner; an open deal in a stage); contacts
    already on the list stay as they are.  Returns how many were added."""
    call_list = get(session=session, list_id=list_id)
    if contact_ids is not None:
        found = set()
        for start in range(0, len(contact_ids), CHUNK):  # (a database takes only so many parameters)
            chunk = contact_ids[start : start + CHUNK]
            found.update(session.execute(select(Contact.id).where(Contact.id.in_(chunk))).scalars())
        if missing := sorted(set(contact_ids) - found):
            raise Unprocessable(f"no contact {missing[0]}")
        ids = sorted(found)
    else:
        query = select(Contact.id)
        if no_owner:
            query = query.where(Contact.owner_id.is_(None))
        if stage_id is not None:
            query = query.where(
                Contact.id.in_(select(Deal.contact_id).where(Deal.stage_id == stage_id, Deal.status == DealStatus.open))
            )
        ids = list(session.execute(query.order_by(Contact.id)).scalars())
    if not ids:
        return 0
    before = _count(session, call_list.id)
    session.execute(
        insert_ignoring_duplicates(session, ListContact.__table__, index_elements=["list_id", "contact_id"]),
        [
            {
                "list_id": call_list.id,
                "contact_id": contact_id,
                "status": ListContactStatus.waiting,
                "attempts": 0,
                "due_at": now,
            }
            for contact_id in ids
        ],
    )
    return _count(session, call_list.id) - before


def add_by_phones(*, session: Session, list_id: int, phones: list[str], now: datetime) -> int:
    """Adds the contacts with these numbers (E.164), as a file imported into the list has them."""
    ids: list[int] = []
    for start in range(0, len(phones), CHUNK):
        ids.extend(
            session.execute(select(Contact.id).where(Contact.phone.in_(phones[start : start + CHUNK]))).scalars()
        )
    return add_contacts(session=session, list_id=list_id, contact_ids=ids, no_owner=False, stage_id=None, now=now)


def _count(session: Session, list_id: int) -> int:
    return session.execute(select(func.count()).select_from(ListContact).where(ListContact.list_id == list_id)).scalar()


def set_members(*, session: Session, list_id: int, operator_ids: list[int]) -> list[int]:
    get(session=session, list_id=list_id)
    for operator_id in operator_ids:
        require_operator(session=session, user_id=operator_id, as_what="a list's member")
    session.execute(delete(ListMember).where(ListMember.list_id == list_id))
    session.add_all(ListMember(list_id=list_id, operator_id=operator_id) for operator_id in dict.fromkeys(operator_ids))
    session.flush()
    return list(dict.fromkeys(operator_ids))


def members(*, session: Session, list_id: int) -> list[int]:
    query = select(ListMember.operator_id).where(ListMember.list_id == list_id).order_by(ListMember.id)
    return list(session.execute(query).scalars())


def progress(*, session: Session, list_id: int, now: datetime) -> dict:
    """Contacts left (and due now), attempts, reached, meetings, refusals by reason."""
    statuses = dict(
        session.execute(
            select(ListContact.status, func.count()).where(ListContact.list_id == list_id).group_by(ListContact.status)
        ).all()
    )
    due = session.execute(
        select(func.count())
        .select_from(ListContact)
        .where(
            ListContact.list_id == list_id,
            ListContact.status == ListContactStatus.waiting,
            ListContact.due_at <= now,
        )
    ).scalar()
    results = dict(
        session.execute(
            select(Attempt.result, func.count())
            .where(Attempt.list_id == list_id, Attempt.status == AttemptStatus.done)
            .group_by(Attempt.result)
        ).all()
    )
    refusals = session.execute(
        select(RefusalReason.name, func.count(Deal.id))
        .join(Deal, Deal.refusal_reason_id == RefusalReason.id)
        .where(
            Deal.contact_id.in_(select(ListContact.contact_id).where(ListContact.list_id == list_id)),
            Deal.pipeline_id == select(CallList.pipeline_id).where(CallList.id == list_id).scalar_subquery(),
        )
        .group_by(RefusalReason.name)
        .order_by(RefusalReason.name)
    ).all()
    return {
        "contacts": sum(statuses.values()),
        "left": statuses.get(ListContactStatus.waiting, 0) + statuses.get(ListContactStatus.working, 0),
        "due_now": due,
        "attempts": sum(results.values()),
        "reached": sum(results.get(result, 0) for result in REACHED),
        "meetings": results.get("meeting", 0),
        "refusals": [{"reason": name, "count": count} for name, count in refusals],
    }
