from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request

from app.auth.deps import CallCenterUser
from app.callbacks import service as callbacks_service
from app.contacts.phone import to_e164
from app.crm.takeover import Takeover
from app.database import utcnow
from app.deps import DbDep, SettingsDep
from app.pagination import PageDep, paginate
from schemas.callbacks import CallbackOut, CancelRequest, ClaimRequest, CompleteRequest, DialOut
from schemas.common import Id, Page

router = APIRouter(prefix="/api/callbacks", tags=["callbacks"])

StatusFilter = Literal["open", "in_progress", "done", "canceled"]


@router.get("", response_model=Page[CallbackOut])
async def list_callbacks(
    db: DbDep,
    settings: SettingsDep,
    _user: CallCenterUser,
    page: PageDep,
    status: Annotated[StatusFilter | None, Query(description="open = open or in progress")] = None,
    assignee_id: Id | None = None,
    phone: str | None = None,
    overdue: Annotated[bool, Query(description="only open callbacks past their due time")] = False,
    queue_id: Annotated[Id | None, Query(description="callbacks for calls missed in this queue")] = None,
):
    """The callback list, soonest due first."""
    e164 = to_e164(phone, region=settings.default_region) if phone else None
    query = callbacks_service.list_query(
        status=status,
        assignee_id=assignee_id,
        phone=e164 or phone,
        overdue_at=utcnow() if overdue else None,
        queue_id=queue_id,
    )
    return await db.read(lambda s: paginate(s, query, page))


@router.get("/{callback_id:id}", response_model=CallbackOut)
async def get_callback(callback_id: Id, db: DbDep, _user: CallCenterUser):
    return await db.read(lambda s: callbacks_service.get(session=s, callback_id=callback_id))


@router.post("/{callback_id:id}/claim", response_model=CallbackOut)
async def claim_callback(
    callback_id: Id,
    db: DbDep,
    settings: SettingsDep,
    user: CallCenterUser,
    body: Annotated[ClaimRequest | None, Body()] = None,
    takeover: Annotated[bool, Query()] = False,
):
    """Takes the callback into work (409 if the client is another manager's and ``takeover`` is not set)."""
    body = body or ClaimRequest()
    return await db.run(
        lambda s: callbacks_service.claim(
            session=s,
            callback_id=callback_id,
            actor=user,
            takeover=Takeover(body.takeover or takeover, settings.takeover_policy),
            assignee_id=body.assignee_id,
            claim_for=timedelta(minutes=settings.list_claim_minutes),
        )
    )


@router.post("/{callback_id:id}/complete", response_model=CallbackOut)
async def complete_callback(
    callback_id: Id,
    body: CompleteRequest,
    db: DbDep,
    settings: SettingsDep,
    user: CallCenterUser,
    takeover: Annotated[bool, Query()] = False,
):
    return await db.run(
        lambda s: callbacks_service.complete(
            session=s,
            callback_id=callback_id,
            actor=user,
            result=body.result,
            takeover=Takeover(body.takeover or takeover, settings.takeover_policy),
        )
    )


@router.post("/{callback_id:id}/cancel", response_model=CallbackOut)
async def cancel_callback(
    callback_id: Id,
    db: DbDep,
    settings: SettingsDep,
    user: CallCenterUser,
    body: Annotated[CancelRequest | None, Body()] = None,
    takeover: Annotated[bool, Query()] = False,
):
    """Takes the number off the list without calling (spam, wrong number); the reason is optional."""
    body = body or CancelRequest()
    return await db.run(
        lambda s: callbacks_service.cancel(
            session=s,
            callback_id=callback_id,
            actor=user,
            reason=body.reason,
            takeover=Takeover(body.takeover or takeover, settings.takeover_policy),
        )
    )


@router.post("/{callback_id:id}/dial", response_model=DialOut)
async def dial_callback(
    callback_id: Id,
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    user: CallCenterUser,
    takeover: Annotated[bool, Query()] = False,
):
    """Click-to-call: the PBX rings your extension, then the client; the call closes the callback
    when the client answers."""
    sender = request.app.state.command_sender

    def dial(session):
        command_id = callbacks_service.dial(
            session=session,
            callback_id=callback_id,
            actor=user,
            takeover=Takeover(takeover, settings.takeover_policy),
            vendor=sender.click_to_call_vendor(),
            no_vendor=sender.no_click_to_call,
            claim_for=timedelta(minutes=settings.list_claim_minutes),
        )
        return {
            "command_id": command_id,
            "callback": CallbackOut.model_validate(callbacks_service.get(session=session, callback_id=callback_id)),
        }

    dialled = await db.run(dial)
    sender.wake()  # committed: the sender finds the command
    return dialled
