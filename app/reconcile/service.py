"""Matching the PBX's call history to the calls callfunnel knows.

A call the history lists that callfunnel never heard of is created from it (with its contact
and, when missed, its callback); a known call whose end never arrived is completed by it.
Both are marked recovered (``call.recovered_at``, ``finalized_by = "history"``, a timeline
entry), so reports and supervisors can see what the webhooks lost.  Calls already finished
by the PBX's own events are left alone: the history adds nothing to them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calls import service as calls_service
from app.calls.models import Call
from app.dispatch import timeline
from schemas.pbx_events import CallFinished

_BATCH = 200


@dataclass
class Counts:
    seen: int = 0
    created: int = 0
    completed: int = 0


def reconcile(
    *, session: Session, vendor: str, history: Sequence[CallFinished], policy: calls_service.CallPolicy, now: datetime
) -> Counts:
    counts = Counts(seen=len(history))
    for start in range(0, len(history), _BATCH):
        batch = history[start : start + _BATCH]
        known = dict(
            session.execute(
                select(Call.external_id, Call.final_received).where(
                    Call.vendor == vendor, Call.external_id.in_([event.call_key for event in batch])
                )
            ).all()
        )
        todo = [event for event in batch if not known.get(event.call_key, False)]
        for call in calls_service.apply_events(session=session, vendor=vendor, events=todo, policy=policy):
            created = call.external_id not in known
            counts.created += created
            counts.completed += not created
            call.recovered_at, call.finalized_by = now, "history"
            source, was = f"{vendor} call history", "unknown" if created else "unfinished"
            timeline.note(session, call_id=call.id, at=now, kind="recovered", source=source, call_was=was)
    return counts
