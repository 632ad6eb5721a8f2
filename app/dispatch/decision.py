"""The routing decision for a PBX that waits on its webhook's reply (``sync`` queues)."""

import math
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.calls.models import Call
from app.contacts.models import Contact
from app.contacts.phone import to_e164
from app.database import ROW_LOCK, utcnow
from app.dispatch import offers as dispatch_offers
from app.dispatch import queueing
from app.dispatch.decision_hint import DecisionHint
from app.dispatch.models import EntryStatus, QueueEntry
from app.queues.kept import kept_queue
from app.queues.models import QueueMode
from schemas.pbx_events import CallEvent
from schemas.routing import RouteAction, RouteDecision, RouteTarget


def decide_for_pbx(
    *, session: Session, call: Call, now: datetime, max_targets: int | None, asks_again: bool
) -> RouteDecision:
    """Where the PBX should send the call now; offers are made (and claimed) before the reply leaves.

    ``max_targets``: how many extensions the vendor can ring at once.  Offers beyond that are
    withdrawn at once, unless the queue names a PBX group to ring them all.  ``asks_again``:
    whether the vendor comes back for a decision while the caller waits; if not, a call nobody
    can take now is left to the PBX's own plan.
    """
    caller_name = _caller_name(session=session, call=call)
    # (only a call put in a queue has an entry: ``queueing.enter`` sets both)
    entry = session.execute(_ENTRY_OF_CALL, {"call_id": call.id}).scalar() if call.queue_id is not None else None
    queue = kept_queue(session=session, queue_id=entry.queue_id) if entry is not None else None
    if queue is None or queue.mode != QueueMode.sync or entry.status == EntryStatus.connected:
        return RouteDecision(action=RouteAction.proceed, caller_name=caller_name)
    if entry.status == EntryStatus.exited:
        return RouteDecision(action=RouteAction.reject, reason=entry.exit_reason, caller_name=caller_name)
    dispatch_offers.dispatch(session=session, entry=entry, queue=queue, now=now)
    offers = dispatch_offers.ringing_offers(session=session, entry_id=entry.id)
    if max_targets is not None:
        offers = dispatch_offers.keep_ringable(
            session=session, offers=offers, queue=queue, max_targets=max_targets, now=now
        )
    entry.handed_to_pbx = not (offers or asks_again)
    if not offers:
        return RouteDecision(action=RouteAction.wait, pbx_group=queue.pbx_group, caller_name=caller_name)
    # What is left of the ring time as the reply leaves (the offers are dated from their claims,
    # which may come after ``now`` on a busy database): the PBX rings no longer than the offer lasts.
    remaining = max(1, math.ceil((min(o.expires_at for o in offers) - utcnow()).total_seconds()))
    return RouteDecision(
        action=RouteAction.ring,
        targets=[RouteTarget(extension=o.extension or "", offer_id=o.id) for o in offers],
        timeout_seconds=remaining,
        pbx_group=queue.pbx_group,
        caller_name=caller_name,
    )


def plan_without_queue(
    session: Session, *, vendor: str, events: Sequence[CallEvent], region: str, hint: DecisionHint
) -> RouteDecision | None:
    """The answer to a routing webhook with nothing to decide, read without writing: its calls are
    new and ring lines that have no queue, so the PBX's own plan routes them (``proceed``, with
    the caller's CRM name, as ``decide_for_pbx`` would answer).  None when a call is known already
    or its line has a queue: the decision is then made on the writer, with the events applied.

    The lines read renew this process's ``hint`` (its lines).

    (Only for a vendor whose calls keep one id: one that ``joins_calls_by_caller`` may know the
    call under its other feed's id.)
    """
    lines = queueing.queue_ids_by_line(session=session)
    hint.note_lines(lines)
    if any(queueing.queue_for(getattr(event, "line_number", None), lines, region=region) for event in events):
        return None
    if _any_known(session, vendor=vendor, keys=sorted({event.call_key for event in events})):
        return None
    numbers = (to_e164(getattr(event, "client_number", None) or "", region=region) for event in events)
    number = next((number for number in numbers if number), None)
    contact = session.execute(_CONTACT_NAME_BY_PHONE, {"phone": number}).first() if number else None
    return RouteDecision(action=RouteAction.proceed, caller_name=_shown_name(contact))


# Built once: every routing decision asks them (building a statement costs more than running it).
_ENTRY_OF_CALL = select(QueueEntry).where(QueueEntry.call_id == bindparam("call_id")).with_for_update(**ROW_LOCK)
_CONTACTS = Contact.__table__
_SHOWN = (_CONTACTS.c.name, _CONTACTS.c.company, _CONTACTS.c.vip)
_CONTACT_NAME = select(*_SHOWN).where(_CONTACTS.c.id == bindparam("contact_id"))
_CONTACT_NAME_BY_PHONE = select(*_SHOWN).where(_CONTACTS.c.phone == bindparam("phone"))
_CALLS = Call.__table__
_KNOWN_CALLS = (
    select(_CALLS.c.id)
    .where(_CALLS.c.vendor == bindparam("vendor"), _CALLS.c.external_id.in_(bindparam("keys", expanding=True)))
    .limit(1)
)
_KNOWN_CALL = select(_CALLS.c.id).where(
    _CALLS.c.vendor == bindparam("vendor"), _CALLS.c.external_id == bindparam("key")
)


def _any_known(session: Session, *, vendor: str, keys: list[str]) -> bool:
    """Whether a call is stored under any of these keys; one key (a routing webhook's usual) by
    ``=``: an expanding list is rewritten at every run."""
    if len(keys) == 1:
        return session.execute(_KNOWN_CALL, {"vendor": vendor, "key": keys[0]}).first() is not None
    return session.execute(_KNOWN_CALLS, {"vendor": vendor, "keys": keys}).first() is not None


def _caller_name(*, session: Session, call: Call) -> str | None:
    contact = session.execute(_CONTACT_NAME, {"contact_id": call.contact_id}).first() if call.contact_id else None
    return _shown_name(contact)


def _shown_name(contact) -> str | None:
    """What the operator's phone shows: the CRM name, marked when the client is a VIP."""
    if contact is None or not (contact.name or contact.vip):
        return None
    name = " ".join(part for part in (contact.name, f"({contact.company})" if contact.company else None) if part)
    return f"VIP {name}".strip() if contact.vip else name
