"""Call lists and the dialer: supervisors set lists up; a member asks for the next contact, gives
it back or writes the attempt's result."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.auth.deps import CallCenterUser, Supervisor
from app.auth.models import Role, User
from app.contacts import local_time, transfer
from app.database import utcnow
from app.deps import DbDep, SettingsDep
from app.errors import Forbidden, Unprocessable
from app.flows import disposition as dispositions
from app.lists import dialer, dialling
from app.lists import service as lists
from app.spreadsheet import uploaded_text
from schemas.common import Id
from schemas.lists import (
    AttemptOut,
    AttemptResultOut,
    ListContactsIn,
    ListDetail,
    ListIn,
    ListOut,
    ListUpdate,
    MemberIn,
    ResultIn,
)

router = APIRouter(prefix="/api", tags=["call lists"])


def _zone_checked(timezone: str | None) -> None:
    if timezone is not None and not local_time.is_zone(timezone):
        raise Unprocessable(f"{timezone!r} is not a time zone (an IANA name: Europe/Moscow)")


@router.post("/lists", response_model=ListOut, status_code=status.HTTP_201_CREATED)
async def create_list(body: ListIn, db: DbDep, settings: SettingsDep, _user: Supervisor):
    _zone_checked(body.timezone)
    fields = body.model_dump() | {"timezone": body.timezone or settings.timezone}
    return await db.run(lambda s: lists.create(session=s, fields=fields, now=utcnow()))


@router.get("/lists", response_model=list[ListOut])
async def list_lists(db: DbDep, user: CallCenterUser):
    """Every list to supervisors; an operator's own."""
    return await db.read(lambda s: lists.visible_to(session=s, user=user))


@router.get("/lists/{list_id:id}", response_model=ListDetail)
async def get_list(list_id: Id, db: DbDep, user: CallCenterUser):
    """The list with its members and progress."""

    def read(session) -> ListDetail:
        call_list = lists.get(session=session, list_id=list_id)
        members = lists.members(session=session, list_id=list_id)
        if user.role == Role.operator and user.id not in members:
            raise Forbidden(f"you are not on list {list_id}")
        progress = lists.progress(session=session, list_id=list_id, now=utcnow())
        return ListDetail(**ListOut.model_validate(call_list).model_dump(), members=members, progress=progress)

    return await db.read(read)


@router.patch("/lists/{list_id:id}", response_model=ListOut)
async def update_list(list_id: Id, body: ListUpdate, db: DbDep, _user: Supervisor):
    changes = body.model_dump(exclude_unset=True)
    if any(value is None for name, value in changes.items() if name != "hours"):
        raise Unprocessable("only hours may be null (the default: Mon–Fri 09:00–20:00)")
    _zone_checked(changes.get("timezone"))
    return await db.run(lambda s: lists.update(session=s, list_id=list_id, changes=changes))


@router.post("/lists/{list_id:id}/contacts")
async def add_list_contacts(list_id: Id, body: ListContactsIn, db: DbDep, _user: Supervisor) -> dict:
    """Contacts by id, or those a filter finds; contacts on the list already stay as they are."""
    added = await db.run(
        lambda s: lists.add_contacts(
            session=s,
            list_id=list_id,
            contact_ids=body.contact_ids,
            no_owner=body.no_owner,
            stage_id=body.stage_id,
            now=utcnow(),
        )
    )
    return {"added": added}


@router.post("/lists/{list_id:id}/contacts/import")
async def import_list_contacts(
    list_id: Id, request: Request, db: DbDep, settings: SettingsDep, user: Supervisor
) -> dict:
    """A contacts CSV file (``Content-Type: text/csv``, the columns of ``/api/contacts/import``):
    its numbers become contacts (known ones get what they lack) and join the list; any unusable row
    rejects the file, nothing imported."""
    text = await uploaded_text(request)

    def write(session) -> dict:
        lists.get(session=session, list_id=list_id)
        imported = transfer.import_csv(session=session, text=text, region=settings.default_region, now=utcnow())
        added = lists.add_by_phones(session=session, list_id=list_id, phones=imported.phones, now=utcnow())
        return imported.summary() | {"added": added}

    return await db.run(write)


@router.put("/lists/{list_id:id}/members")
async def put_list_members(list_id: Id, body: list[MemberIn], db: DbDep, _user: Supervisor) -> list[dict]:
    ids = await db.run(
        lambda s: lists.set_members(session=s, list_id=list_id, operator_ids=[m.operator_id for m in body])
    )
    return [{"operator_id": operator_id} for operator_id in ids]


@router.post(
    "/lists/{list_id:id}/next",
    response_model=AttemptOut,
    responses={204: {"description": "no contact is due now"}},
)
async def next_contact(list_id: Id, db: DbDep, settings: SettingsDep, user: CallCenterUser):
    """Your open attempt on this list, else the next due contact, claimed for you
    (``LIST_CLAIM_MINUTES``); 204 when none is due."""
    claim_for = timedelta(minutes=settings.list_claim_minutes)
    shown = await db.run(
        lambda s: _shown(dialer.next_for(session=s, list_id=list_id, operator=user, now=utcnow(), claim_for=claim_for))
    )
    return shown if shown is not None else Response(status_code=status.HTTP_204_NO_CONTENT)


def _shown(found: dialer.Next | None) -> AttemptOut | None:
    if found is None:
        return None
    contact = found.contact
    return AttemptOut(
        attempt_id=found.attempt.id,
        list_id=found.call_list.id,
        status=found.attempt.status,
        basis=found.call_list.basis,
        mode=found.call_list.mode,
        attempts_before=found.attempts_before,
        company_owner={"id": found.company_owner.id, "name": found.company_owner.name} if found.company_owner else None,
        contact={
            "id": contact.id,
            "phone": contact.phone,
            "name": contact.name,
            "company": contact.company,
            "timezone": found.timezone,
            "timezone_guessed": found.timezone_guessed,
        },
    )


@router.post("/attempts/{attempt_id:id}/dial", response_model=AttemptResultOut)
async def dial_attempt(
    attempt_id: Id, request: Request, db: DbDep, user: CallCenterUser, again: Annotated[bool, Query()] = False
):
    """Click-to-call: the PBX rings your extension, then the contact; sent once and never again by
    itself (``again=true`` after an ``unknown`` dial). A number that cannot be dialled ends the
    attempt as ``wrong_number``; a do-not-call number is 409."""
    sender = request.app.state.command_sender
    attempt = await db.run(
        lambda s: dialling.dial(
            session=s,
            attempt_id=attempt_id,
            operator=user,
            vendor=sender.click_to_call_vendor(),
            no_vendor=sender.no_click_to_call,
            again=again,
            now=utcnow(),
        )
    )
    sender.wake()
    return attempt


@router.post("/attempts/{attempt_id:id}/release", response_model=AttemptResultOut)
async def release_attempt(attempt_id: Id, db: DbDep, user: CallCenterUser):
    """Gives the contact back to the list without a result."""
    return await db.run(lambda s: dialer.release(session=s, attempt_id=attempt_id, operator=user, now=utcnow()))


@router.post("/attempts/{attempt_id:id}/result", response_model=AttemptResultOut)
async def attempt_result(attempt_id: Id, body: ResultIn, db: DbDep, user: CallCenterUser):
    """Ends the attempt with its result; ``refused`` needs ``refusal_reason_id`` (the deal is lost
    with it), ``callback`` and ``meeting`` their time (a task for you), ``do_not_call`` lists the
    number; ``not_reached`` and ``busy`` are tried again after ``retry_after_hours`` while attempts
    are left.  An attempt the PBX placed a call for writes its note as that call's disposition
    (the call is the touch; an attempt without a call is none)."""

    def write(session):
        now = utcnow()
        attempt = dialer.record_result(
            session=session, attempt_id=attempt_id, operator=user, now=now, **body.model_dump()
        )
        if attempt.call_id is not None and body.note:
            manager = session.get(User, attempt.operator_id)
            dispositions.record(session=session, call_id=attempt.call_id, actor=manager, now=now, note=body.note)
        return attempt

    return await db.run(write)
