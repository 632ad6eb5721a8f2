"""Commands from decision to outcome: which are due and still wanted, what the PBX replied,
and what its result webhook says.  Whatever fails, the call stays with the PBX's own
distribution, so it still ends answered or on the callback list."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import instruments
from app.callbacks import tracking as callback_tracking
from app.callbacks.models import Callback
from app.calls.models import Call, CallLeg, CallState
from app.commands import ratelimit
from app.commands import service as commands_service
from app.commands.models import CommandStatus, PbxCommand
from app.database import ROW_LOCK
from app.dispatch import offers as dispatch_offers
from app.dispatch.models import LIVE_ENTRY, Offer, OfferStatus, QueueEntry
from app.lists import dialling as list_dialling
from schemas.pbx_events import CommandResult, LegKind, LegState
from telephony.vendor import Reply, Vendor

log = logging.getLogger(__name__)

_WAITING = (CallState.ivr, CallState.queued, CallState.ringing)


@dataclass(frozen=True)
class Outgoing:
    """A command claimed for sending, with everything the vendor client needs."""

    id: int
    command_id: str
    vendor: str
    kind: str
    target: str
    leg_key: str | None = None  # route: the leg waiting in the IVR or queue
    to_number: str | None = None  # callback: the client


def claim_due(
    *,
    session: Session,
    now: datetime,
    route_budgets: dict[str, timedelta],
    callback_budgets: dict[str, tuple[str, timedelta]],
) -> list[Outgoing]:
    """Marks due commands as sent (checking each is still wanted and within its vendor's budget).

    A route over budget is left to the PBX (the call cannot wait); a click-to-call waits for the
    budget's next free moment (the operator asked for it; nothing else is waiting on it)."""
    outgoing = []
    for command in commands_service.take_due(session=session, now=now):
        leg_key = None
        if paused_until := ratelimit.held_until(session=session, key=f"{command.vendor}:paused", now=now):
            if command.kind == "route":  # the call cannot wait two minutes: the PBX's own plan
                commands_service.settle(command=command, status=CommandStatus.refused, result="paused", now=now)
                dispatch_offers.hand_to_pbx(session=session, offer_id=command.offer_id, reason="rate_limited", now=now)
            else:
                command.next_attempt_at = paused_until
            continue
        if command.kind == "route":
            leg_key, obsolete = _waiting_leg(session=session, command=command)
            if obsolete:
                commands_service.settle(command=command, status=CommandStatus.canceled, result=obsolete, now=now)
                continue
            budget = route_budgets.get(command.vendor)
            if not ratelimit.acquire(session=session, key=f"{command.vendor}:route", interval=budget, now=now):
                commands_service.settle(command=command, status=CommandStatus.refused, result="rate limited", now=now)
                instruments.count(session, instruments.PBX_COMMANDS, command.vendor, "budget_refused")
                dispatch_offers.hand_to_pbx(session=session, offer_id=command.offer_id, reason="rate_limited", now=now)
                continue
        elif (budget := callback_budgets.get(command.vendor)) is not None:
            name, interval = budget
            if not ratelimit.acquire(session=session, key=f"{command.vendor}:{name}", interval=interval, now=now):
                command.next_attempt_at = now + interval  # not an attempt: it was never sent
                continue
        command.status, command.updated_at = CommandStatus.sent, now
        command.attempts += 1
        instruments.count(session, instruments.PBX_COMMANDS, command.vendor, "sent")
        outgoing.append(
            Outgoing(
                command.id, command.command_id, command.vendor, command.kind, command.target, leg_key, command.to_number
            )
        )
    return outgoing


def refusal_pauses(vendors: dict[str, Vendor]) -> dict[str, timedelta]:
    """How long each vendor's commands pause after a refusal that counts against its key."""
    return {name: vendor.refusal_pause for name, vendor in vendors.items() if vendor.refusal_pause}


def record_reply(
    *, session: Session, command_pk: int, reply: Reply, now: datetime, refusal_pauses: dict[str, timedelta]
) -> None:
    command = session.get(PbxCommand, command_pk, with_for_update=ROW_LOCK)
    if command.status != CommandStatus.sent:
        return  # the result webhook came first
    if reply.blocks_key:
        _pause_vendor(session=session, command=command, why=reply.detail, refusal_pauses=refusal_pauses, now=now)
    if command.attempt_id is not None and not reply.ok:  # a list's dial is never repeated by itself
        commands_service.settle(command=command, status=CommandStatus.failed, result=reply.detail, now=now)
        list_dialling.dial_answered(
            session=session, attempt_id=command.attempt_id, placed=None if reply.retry else False
        )
    elif reply.ok and reply.final:
        commands_service.settle(command=command, status=CommandStatus.succeeded, result=reply.detail, now=now)
    elif reply.ok:
        command.result, command.updated_at = reply.detail, now
    elif reply.retry and commands_service.retry_later(command=command, result=reply.detail, now=now):
        instruments.count(session, instruments.PBX_COMMANDS, command.vendor, "retried")
    else:
        _failed(session=session, command=command, result=reply.detail, now=now)
    log.info("command %s %s → %s: %s", command.command_id, command.kind, command.target, reply.detail)


def record_result(
    *, session: Session, result: CommandResult, now: datetime, refusal_pauses: dict[str, timedelta]
) -> None:
    """The PBX's result webhook for a command of ours; a refusal counted against the key pauses the
    vendor's commands as the HTTP reply's would."""
    command = commands_service.by_command_id(session=session, command_id=result.command_id)
    if command is None:
        log.warning("result %s for unknown command %s", result.result, result.command_id)
        return
    if result.blocks_key:
        why = f"result {result.result}"
        _pause_vendor(session=session, command=command, why=why, refusal_pauses=refusal_pauses, now=now)
    if result.ok:
        commands_service.settle(
            command=command, status=CommandStatus.succeeded, result=f"result {result.result}", now=now
        )
    elif command.status != CommandStatus.failed:
        _failed(session=session, command=command, result=f"result {result.result}", now=now)


def _pause_vendor(
    *, session: Session, command: PbxCommand, why: str, refusal_pauses: dict[str, timedelta], now: datetime
) -> None:
    """No command to the vendor for its ``refusal_pause`` (MANGO blocks a key after two 3xxx in two minutes)."""
    if pause := refusal_pauses.get(command.vendor):
        ratelimit.hold(session=session, key=f"{command.vendor}:paused", until=now + pause)
        log.warning("%s refused command %s (%s): its commands pause %s", command.vendor, command.command_id, why, pause)


def _failed(*, session: Session, command: PbxCommand, result: str, now: datetime) -> None:
    commands_service.settle(command=command, status=CommandStatus.failed, result=result, now=now)
    instruments.count(session, instruments.PBX_COMMANDS, command.vendor, "failed")
    log.warning("command %s %s → %s failed: %s", command.command_id, command.kind, command.target, result)
    if command.kind == "route":
        dispatch_offers.hand_to_pbx(session=session, offer_id=command.offer_id, reason="pbx_refused", now=now)
    elif command.attempt_id is not None:
        list_dialling.dial_answered(session=session, attempt_id=command.attempt_id, placed=False)
    elif command.callback_id is not None:
        callback = session.get(Callback, command.callback_id)
        callback_tracking.log_action(
            session=session, callback=callback, action="dial_failed", actor_id=command.actor_id, result=result
        )


def _waiting_leg(*, session: Session, command: PbxCommand) -> tuple[str | None, str | None]:
    """The leg to move, or why the command is no longer wanted (a timed-out route may have run)."""
    offer = session.get(Offer, command.offer_id)
    if offer is None or offer.status != OfferStatus.ringing:
        return None, "the offer ended"
    entry = session.get(QueueEntry, offer.entry_id)
    call = session.get(Call, command.call_id)
    if entry.status not in LIVE_ENTRY or call.state not in _WAITING:
        return None, "the call is no longer waiting"
    leg = session.execute(
        select(CallLeg.external_id)
        .where(CallLeg.call_id == call.id, CallLeg.kind.in_([LegKind.ivr, LegKind.queue]))
        .where(CallLeg.state != LegState.disconnected)
        .order_by(CallLeg.appeared_at.desc(), CallLeg.id.desc())
        .limit(1)
    ).scalar()
    return (leg, None) if leg else (None, "no leg waiting in the IVR or a queue")
