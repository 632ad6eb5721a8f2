"""Working the callback list: listing, claiming, completing and cancelling callbacks."""

from datetime import datetime, timedelta

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.callbacks.models import IS_OPEN, OPEN_STATUSES, Callback, CallbackStatus
from app.callbacks.tracking import log_action
from app.calls.models import Call
from app.commands import service as commands_service
from app.contacts import claims, do_not_call
from app.contacts.models import Contact
from app.crm.takeover import Takeover
from app.database import ROW_LOCK, utcnow
from app.errors import Conflict, NotFound
from app.operators.lookup import require_operator


def list_query(
    *,
    status: str | None,
    assignee_id: int | None,
    phone: str | None,
    overdue_at: datetime | None = None,
    queue_id: int | None = None,
) -> Select:
    """Callbacks by due time; ``status=open`` means open or in progress; ``overdue_at``: still open
    and due before it; ``queue_id``: a missed call of the callback came through that queue."""
    query = select(Callback).order_by(Callback.due_at, Callback.id)
    if overdue_at is not None:
        query = query.where(IS_OPEN, Callback.due_at < overdue_at)
    if queue_id is not None:
        query = query.where(exists().where(Call.callback_id == Callback.id, Call.queue_id == queue_id))
    if status == CallbackStatus.open:
        query = query.where(IS_OPEN)
    elif status is not None:
        query = query.where(Callback.status == status)
    if assignee_id is not None:
        query = query.where(Callback.assignee_id == assignee_id)
    if phone is not None:
        query = query.where(Callback.phone == phone)
    return query


def get(*, session: Session, callback_id: int, lock: bool = False) -> Callback:
    """The callback, or NotFound."""
    callback = session.get(Callback, callback_id, with_for_update=ROW_LOCK if lock else None)
    if callback is None:
        raise NotFound(f"no callback {callback_id}")
    return callback


def claim(
    *,
    session: Session,
    callback_id: int,
    actor: User,
    takeover: Takeover,
    assignee_id: int | None,
    claim_for: timedelta,
) -> Callback:
    """Takes a callback into work: operators for themselves, supervisors for anyone; the client is
    claimed for the assignee, so no call list gives them to someone else meanwhile (409 while a
    colleague works them on a list)."""
    callback = _open_for_work(session=session, callback_id=callback_id)
    if actor.role == Role.operator:
        if assignee_id not in (None, actor.id):
            raise Conflict("operators claim callbacks for themselves; ask a supervisor to assign others")
        _check_operator_may_work(session=session, callback=callback, actor=actor, takeover=takeover)
        target_id = actor.id
    else:
        target_id = assignee_id or actor.id
        if assignee_id is not None:
            require_operator(session=session, user_id=target_id, as_what="a callback's assignee")
    previous = callback.assignee_id
    now = utcnow()
    if callback.contact_id is not None and not claims.take(
        session=session, contact_id=callback.contact_id, operator_id=target_id, now=now, until=now + claim_for
    ):
        raise Conflict("a colleague is working this client on a call list right now: try again in a while")
    callback.status, callback.assignee_id, callback.updated_at = CallbackStatus.in_progress, target_id, now
    action = "takeover" if takeover.asked and previous not in (None, target_id) else "claimed"
    log_action(
        session=session,
        callback=callback,
        action=action,
        actor_id=actor.id,
        assignee_id=target_id,
        previous_assignee_id=previous,
    )
    return callback


def complete(*, session: Session, callback_id: int, actor: User, result: str, takeover: Takeover) -> Callback:
    """Closes a callback as done, with what came of it."""
    return _close(
        session=session,
        callback_id=callback_id,
        actor=actor,
        takeover=takeover,
        status=CallbackStatus.done,
        result=result,
    )


def cancel(*, session: Session, callback_id: int, actor: User, reason: str, takeover: Takeover) -> Callback:
    """Closes a callback that should not be called back (spam, wrong number, ...)."""
    return _close(
        session=session,
        callback_id=callback_id,
        actor=actor,
        takeover=takeover,
        status=CallbackStatus.canceled,
        result=reason,
    )


def _close(
    *, session: Session, callback_id: int, actor: User, takeover: Takeover, status: CallbackStatus, result: str
) -> Callback:
    callback = _open_for_work(session=session, callback_id=callback_id)
    if actor.role == Role.operator:
        _check_operator_may_work(session=session, callback=callback, actor=actor, takeover=takeover)
    now = utcnow()
    callback.status, callback.result, callback.closed_at, callback.updated_at = status, result, now, now
    callback.assignee_id = callback.assignee_id or actor.id
    if callback.contact_id is not None:
        claims.give_back(session=session, contact_id=callback.contact_id, operator_id=callback.assignee_id)
    log_action(session=session, callback=callback, action=status.value, actor_id=actor.id, result=result)
    return callback


def _open_for_work(*, session: Session, callback_id: int) -> Callback:
    callback = get(session=session, callback_id=callback_id, lock=True)
    if callback.status not in OPEN_STATUSES:
        raise Conflict(f"callback {callback_id} is already {callback.status}")
    return callback


def _check_operator_may_work(*, session: Session, callback: Callback, actor: User, takeover: Takeover) -> None:
    """An operator works callbacks assigned to them, or unassigned ones of their own or ownerless clients;
    anything else is a takeover (``Takeover.permit``)."""
    if callback.assignee_id == actor.id:
        return
    if callback.status == CallbackStatus.in_progress and callback.assignee_id is not None:
        takeover.permit(actor=actor, conflict="another operator is working on this callback")
        return
    if callback.contact_id is not None:
        owner_id = (session.execute(select(Contact.owner_id).where(Contact.id == callback.contact_id))).scalar_one()
        if owner_id not in (None, actor.id):
            takeover.permit(actor=actor, conflict="this client belongs to another manager")


def dial(
    *,
    session: Session,
    callback_id: int,
    actor: User,
    takeover: Takeover,
    vendor: str | None,
    no_vendor: str,
    claim_for: timedelta,
) -> str:
    """Click-to-call: claims the callback for the operator and asks ``vendor``'s PBX to ring their
    extension, then the client (``no_vendor``: why none can).  Returns the command id; the call
    that results closes the callback if answered."""
    if not actor.extension:
        raise Conflict("you have no extension to ring; ask an admin to set one")
    if vendor is None:
        raise Conflict(no_vendor)
    callback = claim(
        session=session, callback_id=callback_id, actor=actor, takeover=takeover, assignee_id=None, claim_for=claim_for
    )
    if callback.phone is None:
        raise Conflict("the caller's number is hidden: there is nobody to dial")
    if refusal := do_not_call.reason(session=session, phone=callback.phone):
        raise Conflict(refusal)
    command = commands_service.click_to_call(
        session=session,
        vendor=vendor,
        extension=actor.extension,
        phone=callback.phone,
        now=utcnow(),
        callback_id=callback.id,
        actor_id=actor.id,
    )
    log_action(
        session=session,
        callback=callback,
        action="dial_requested",
        actor_id=actor.id,
        command_id=command.command_id,
        vendor=vendor,
    )
    return command.command_id
