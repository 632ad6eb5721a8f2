"""Matching the PBX's call history to the calls callfunnel knows.

A call the history lists that callfunnel never heard of is created from it (with its contact
and, when missed, its callback); a known call whose end never arrived is completed by it.
Both are marked recovered (``call.recovered_at``, ``finalized_by = "history"``, a timeline
entry), so reports and supervisors can see what the webhooks lost.  Calls already finished
by the PBX's own events are left alone: the history adds nothing to them.

Where the vendor signs too little of its webhooks to trust them (Zadarma: ``pbx_call_id`` and
``disposition`` are unsigned), the history also confirms: a finished call whose outcome the
history contradicts is corrected to the history's, and ``confirm`` flags the calls the history
does not know (``call.unconfirmed``), clearing the flag when one shows up later.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.calls import timeline
from app.calls.models import Call, Outcome
from app.flows import call_events
from schemas.pbx_events import CallFinished

_BATCH = 200


@dataclass
class Counts:
    seen: int = 0
    created: int = 0
    completed: int = 0
    corrected: int = 0
    unconfirmed: int = 0
    confirmed: int = 0


def reconcile(
    *,
    session: Session,
    vendor: str,
    history: Sequence[CallFinished],
    policy: call_events.CallPolicy,
    now: datetime,
    correct: bool = False,
) -> Counts:
    """Creates and completes calls from the history; with ``correct``, also sets right the finished
    calls whose outcome the history contradicts (answered or not)."""
    counts = Counts(seen=len(history))
    for start in range(0, len(history), _BATCH):
        batch = history[start : start + _BATCH]
        rows = session.execute(
            select(Call.external_id, Call.final_received, Call.outcome).where(
                Call.vendor == vendor, Call.external_id.in_([event.call_key for event in batch])
            )
        ).all()
        known = {key for key, _, _ in rows}
        finished = {key: outcome for key, final, outcome in rows if final}
        contradicted = {
            event.call_key
            for event in batch
            if correct and event.call_key in finished and _contradicts(event, finished[event.call_key])
        }
        todo = [event for event in batch if event.call_key not in finished or event.call_key in contradicted]
        for call in call_events.apply_events(session=session, vendor=vendor, events=todo, policy=policy):
            source = f"{vendor} call history"
            if call.external_id in contradicted:
                counts.corrected += 1
                call.finalized_by = "history"
                timeline.note(session, call_id=call.id, at=now, kind="corrected", source=source, outcome=call.outcome)
                continue
            created = call.external_id not in known
            counts.created += created
            counts.completed += not created
            call.recovered_at, call.finalized_by = now, "history"
            was = "unknown" if created else "unfinished"
            timeline.note(session, call_id=call.id, at=now, kind="recovered", source=source, call_was=was)
    return counts


def _contradicts(event: CallFinished, outcome: Outcome | None) -> bool:
    return outcome is not None and event.answered != (outcome == Outcome.answered)


def confirm(
    *,
    session: Session,
    vendor: str,
    history: Sequence[CallFinished],
    since: datetime,
    checked_until: datetime,
    now: datetime,
) -> Counts:
    """Flags the finished calls that started from ``since`` and ended by ``checked_until`` (the
    history read far enough past them) which the history does not list; clears the flag of those
    it lists now."""
    counts = Counts()
    listed = {event.call_key for event in history}
    flagged = session.execute(
        select(Call.id, Call.external_id).where(Call.vendor == vendor, Call.unconfirmed.is_(True))
    ).all()
    for call_id, key in flagged:
        if key in listed:
            counts.confirmed += 1
            session.execute(update(Call).where(Call.id == call_id).values(unconfirmed=False))
            timeline.note(session, call_id=call_id, at=now, kind="confirmed", source=f"{vendor} call history")
    candidates = session.execute(
        select(Call.id, Call.external_id).where(
            Call.vendor == vendor,
            Call.unconfirmed.is_(False),
            Call.outcome.is_not(None),
            Call.started_at >= since,
            Call.ended_at <= checked_until,
        )
    ).all()
    for call_id, key in candidates:
        if key not in listed:
            counts.unconfirmed += 1
            session.execute(update(Call).where(Call.id == call_id).values(unconfirmed=True))
            timeline.note(session, call_id=call_id, at=now, kind="unconfirmed", source=f"{vendor} call history")
    return counts
