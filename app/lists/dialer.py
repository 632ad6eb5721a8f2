"""Working a call list: the next due contact for a manager, claimed so that nobody else works it
meanwhile, and the attempt's result.

A contact is due when it waits in the list past its ``due_at``, it is nobody else's client, its
number is not on the do-not-call register, nobody else holds a claim on it, and it is within the
list's calling hours in the contact's own time zone.  The claim (``ContactClaim``, one row per
contact) is what makes two managers asking at once get two contacts, on both databases: the
second insert of the same contact does nothing, and its manager moves on to the next one.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.contacts import claims, do_not_call, local_time
from app.contacts.models import Contact, ContactClaim, DoNotCall
from app.crm import deals, pipelines, tasks
from app.crm.models import Deal, DealStatus, Pipeline, TaskKind
from app.crm.takeover import Takeover
from app.database import ROW_LOCK, utcnow
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.lists.models import (
    DEFAULT_HOURS,
    Attempt,
    AttemptStatus,
    CallList,
    ListContact,
    ListContactStatus,
    ListMember,
)
from app.operators import state as operator_state
from routing.hours import BusinessHours

BATCH = 50  # due contacts looked at a time (some may be outside their calling hours, or claimed)
NOT_REACHED = ("not_reached", "busy")  # another try later, while attempts are left
REACHED_A_PERSON = ("refused", "callback", "meeting", "do_not_call")  # the contact counts as reached


@dataclass(frozen=True)
class Next:
    attempt: Attempt
    contact: Contact
    timezone: str
    timezone_guessed: bool
    call_list: CallList
    attempts_before: int
    company_owner: User | None  # another contact of the same company is this manager's colleague's


def next_for(*, session: Session, list_id: int, operator: User, now: datetime, claim_for: timedelta) -> Next | None:
    """The operator's open attempt on this list, else a new one on the next due contact; None: none due."""
    call_list = _list_for(session=session, list_id=list_id, operator=operator)
    mine = session.execute(
        select(Attempt).where(Attempt.operator_id == operator.id, Attempt.status == AttemptStatus.open)
    ).scalar()
    if mine is not None:
        if mine.list_id != list_id:
            raise Conflict(f"finish or release your attempt on list {mine.list_id} first (one contact at a time)")
        if claims.take(
            session=session, contact_id=mine.contact_id, operator_id=operator.id, now=now, until=now + claim_for
        ):
            return _shown(session, mine, call_list)
        mine.status, mine.finished_at = AttemptStatus.released, now  # its claim ran out; another manager has it
    _lapsed(session=session, list_id=list_id, now=now)
    after: tuple[datetime, int] | None = None
    while True:
        rows = session.execute(_due(call_list=call_list, operator_id=operator.id, now=now, after=after)).all()
        for entry, contact in rows:
            if not _calling_hours(call_list, contact).is_open(now):
                continue
            if not claims.take(
                session=session, contact_id=contact.id, operator_id=operator.id, now=now, until=now + claim_for
            ):
                continue  # another manager took it a moment ago
            attempt = _open(
                session=session, call_list=call_list, entry=entry, contact=contact, operator=operator, now=now
            )
            return _shown(session, attempt, call_list)
        if len(rows) < BATCH:
            return None
        after = (rows[-1][0].due_at, rows[-1][0].id)


def _list_for(*, session: Session, list_id: int, operator: User) -> CallList:
    call_list = session.get(CallList, list_id)
    if call_list is None:
        raise NotFound(f"no call list {list_id}")
    member = session.execute(
        select(ListMember.id).where(ListMember.list_id == list_id, ListMember.operator_id == operator.id)
    ).first()
    if member is None:
        raise Forbidden(f"you are not on list {list_id}: a supervisor adds its members")
    return call_list


def _due(*, call_list: CallList, operator_id: int, now: datetime, after: tuple[datetime, int] | None):
    query = (
        select(ListContact, Contact)
        .join(Contact, Contact.id == ListContact.contact_id)
        .where(
            ListContact.list_id == call_list.id,
            ListContact.status == ListContactStatus.waiting,  # in the index's order: no sort, no scan
            ListContact.due_at <= now,
            or_(Contact.owner_id.is_(None), Contact.owner_id == operator_id),
            ~exists().where(DoNotCall.phone == Contact.phone),
            ~exists().where(
                ContactClaim.contact_id == ListContact.contact_id,
                ContactClaim.expires_at > now,
                ContactClaim.operator_id != operator_id,
            ),
        )
        .order_by(ListContact.due_at, ListContact.id)
        .limit(BATCH)
        # PostgreSQL: managers asking at once each take other candidates instead of queueing
        # behind one another's claim of the same first contact.
        .with_for_update(skip_locked=True, of=ListContact, **ROW_LOCK)
    )
    if after is not None:
        due_at, entry_id = after
        query = query.where(
            or_(ListContact.due_at > due_at, and_(ListContact.due_at == due_at, ListContact.id > entry_id))
        )
    return query


def _lapsed(*, session: Session, list_id: int, now: datetime) -> None:
    """Contacts whose attempt's claim ran out without a result wait in the list again."""
    session.execute(
        update(ListContact)
        .where(
            ListContact.list_id == list_id,
            ListContact.status == ListContactStatus.working,
            ~exists().where(ContactClaim.contact_id == ListContact.contact_id, ContactClaim.expires_at > now),
        )
        .values(status=ListContactStatus.waiting)
        .execution_options(synchronize_session=False)
    )


def _calling_hours(call_list: CallList, contact: Contact) -> BusinessHours:
    zone, _ = local_time.zone_of(phone=contact.phone, own=contact.timezone, fallback=call_list.timezone)
    return _hours(_frozen(call_list.hours or DEFAULT_HOURS), zone)


def _frozen(schedule: dict) -> tuple:
    return tuple(sorted((day, tuple(tuple(pair) for pair in pairs)) for day, pairs in schedule.items()))


@lru_cache(maxsize=512)
def _hours(schedule: tuple, zone: str) -> BusinessHours:
    return BusinessHours({day: [list(pair) for pair in pairs] for day, pairs in schedule}, zone)


def _open(
    *, session: Session, call_list: CallList, entry: ListContact, contact: Contact, operator: User, now: datetime
) -> Attempt:
    """An attempt on the contact; their deal in the list's pipeline starts now if they have none
    (a list's funnel starts with the contacts called), making the manager their owner."""
    has_deal = session.execute(
        select(Deal.id).where(
            Deal.contact_id == contact.id, Deal.pipeline_id == call_list.pipeline_id, Deal.status == DealStatus.open
        )
    ).first()
    if has_deal is None:
        deals.create(
            session=session,
            actor=operator,
            contact_id=contact.id,
            pipeline_id=call_list.pipeline_id,
            stage_id=None,
            owner_id=None,
            amount=None,
            takeover=Takeover(),
            now=now,
        )
    session.execute(  # an attempt left open when its claim ran out
        update(Attempt)
        .where(Attempt.list_contact_id == entry.id, Attempt.status == AttemptStatus.open)
        .values(status=AttemptStatus.released, finished_at=now)
    )
    entry.status = ListContactStatus.working
    attempt = Attempt(
        list_id=call_list.id, list_contact_id=entry.id, contact_id=contact.id, operator_id=operator.id, created_at=now
    )
    session.add(attempt)
    session.flush()
    claims.attach(session=session, contact_id=contact.id, attempt_id=attempt.id)
    return attempt


def _shown(session: Session, attempt: Attempt, call_list: CallList) -> Next:
    contact = session.get(Contact, attempt.contact_id)
    zone, guessed = local_time.zone_of(phone=contact.phone, own=contact.timezone, fallback=call_list.timezone)
    tries = session.get(ListContact, attempt.list_contact_id).attempts
    return Next(
        attempt, contact, zone, guessed, call_list, tries, _company_owner(session, contact, attempt.operator_id)
    )


def _company_owner(session: Session, contact: Contact, operator_id: int) -> User | None:
    """One manager per client extends to a company: whoever owns another of its contacts."""
    if not contact.company:
        return None
    return session.execute(
        select(User)
        .join(Contact, Contact.owner_id == User.id)
        .where(func.lower(Contact.company) == contact.company.lower(), Contact.id != contact.id)
        .where(Contact.owner_id != operator_id)
        .limit(1)
    ).scalar()


def release(*, session: Session, attempt_id: int, operator: User, now: datetime) -> Attempt:
    """Gives the contact back to the list without a result (due again at once)."""
    attempt, entry = own_open(session=session, attempt_id=attempt_id, operator=operator)
    attempt.status, attempt.finished_at = AttemptStatus.released, now
    entry.status = ListContactStatus.waiting
    unclaim(session=session, attempt=attempt)
    return attempt


def record_result(
    *,
    session: Session,
    attempt_id: int,
    operator: User,
    result: str,
    now: datetime,
    refusal_reason_id: int | None = None,
    callback_at: datetime | None = None,
    meeting_at: datetime | None = None,
    closer_id: int | None = None,
    note: str | None = None,
) -> Attempt:
    """Ends the attempt: a number not reached is tried again after ``retry_after_hours`` while
    attempts are left; every other result takes the contact off the list."""
    attempt, entry = own_open(session=session, attempt_id=attempt_id, operator=operator)
    call_list = session.get(CallList, attempt.list_id)
    contact = session.get(Contact, attempt.contact_id)
    deal = session.execute(
        select(Deal).where(
            Deal.contact_id == contact.id, Deal.pipeline_id == call_list.pipeline_id, Deal.status == DealStatus.open
        )
    ).scalar()
    if result in REACHED_A_PERSON and contact.confirmed_at is None:
        contact.confirmed_at = now  # what a collector is paid for: a contact that answered
    if deal is not None and result in REACHED_A_PERSON:
        meeting = result == "meeting"
        _advance(
            session=session,
            deal=deal,
            call_list=call_list,
            meeting=meeting,
            closer_id=closer_id,
            actor=operator,
            now=now,
        )
    if result in NOT_REACHED:
        entry.attempts += 1
        out_of_tries = entry.attempts >= call_list.max_attempts
        entry.status = ListContactStatus.done if out_of_tries else ListContactStatus.waiting
        entry.due_at = now + timedelta(hours=call_list.retry_after_hours)
    else:
        entry.status = ListContactStatus.done
    if result == "refused":
        if refusal_reason_id is None:
            raise Unprocessable("a refusal needs its refusal_reason_id")
        if deal is not None:
            deals.lose(session=session, actor=operator, deal_id=deal.id, reason_id=refusal_reason_id, now=now)
    elif result in ("callback", "meeting"):
        at = callback_at if result == "callback" else meeting_at
        if at is None:
            raise Unprocessable(f"a {result} needs {result}_at")
        title = f"{'call back' if result == 'callback' else 'meeting with'} {contact.name or contact.phone}"
        tasks.create(
            session=session,
            # A call back is the manager's, whoever wrote the result; a meeting is the closer's it was handed to.
            owner_id=deal.owner_id if result == "meeting" and deal is not None else attempt.operator_id,
            kind=TaskKind.follow_up,
            title=title,
            due_at=at,
            now=now,
            deal_id=deal.id if deal else None,
            contact_id=contact.id,
        )
    elif result == "do_not_call":
        do_not_call.add_if_missing(
            session=session,
            phone=contact.phone,
            source=f"list {call_list.name}"[:100],
            listed_on=now.date(),
            by=operator.id,
            now=now,
        )
    entry.last_result = result
    attempt.status, attempt.result, attempt.note, attempt.finished_at = AttemptStatus.done, result, note, now
    unclaim(session=session, attempt=attempt)
    return attempt


def _advance(
    *,
    session: Session,
    deal: Deal,
    call_list: CallList,
    meeting: bool,
    closer_id: int | None,
    actor: User,
    now: datetime,
) -> None:
    """A person answered: the deal leaves the list for the pipeline's first stage ("reached", "first
    contact"); a booked meeting moves it on to the pipeline's meeting stage, handing the client to
    a closer."""
    pipeline = session.get(Pipeline, call_list.pipeline_id)
    stages = pipelines.stages_of(session=session, pipeline_id=pipeline.id)
    position = {stage.id: stage.position for stage in stages}
    target = pipeline.meeting_stage_id if meeting and pipeline.meeting_stage_id else stages[0].id
    if deal.stage_id is None or position.get(deal.stage_id, 0) < position[target]:
        deals.move(session=session, actor=actor, deal_id=deal.id, stage_id=target, now=now, closer_id=closer_id)


def own_open(*, session: Session, attempt_id: int, operator: User) -> tuple[Attempt, ListContact]:
    """The open attempt the operator may act on (a supervisor: anyone's), locked, with its list
    entry; 409 when it is over or its claim ran out (the contact went back to the list)."""
    attempt = session.get(Attempt, attempt_id, with_for_update=ROW_LOCK)
    if attempt is None:
        raise NotFound(f"no attempt {attempt_id}")
    if attempt.operator_id != operator.id and operator.role == Role.operator:
        raise Forbidden(f"attempt {attempt_id} is another manager's")
    if attempt.status != AttemptStatus.open:
        raise Conflict(f"attempt {attempt_id} is already {attempt.status}")
    claim = session.get(ContactClaim, attempt.contact_id, with_for_update=ROW_LOCK)
    if claim is None or claim.operator_id != attempt.operator_id:
        raise Conflict(f"the claim on this contact ran out and it went back to the list: attempt {attempt_id} is over")
    return attempt, session.get(ListContact, attempt.list_contact_id, with_for_update=ROW_LOCK)


def unclaim(*, session: Session, attempt: Attempt) -> None:
    """The contact goes back; a manager still marked dialing for it is free again."""
    operator_state.dialing(session=session, operator_id=attempt.operator_id, on=False, now=utcnow())
    claims.give_back(session=session, contact_id=attempt.contact_id, operator_id=attempt.operator_id)
