"""Recordings as the PBX reports them, kept with their calls (part of processing a batch of events).

Reports of one recording may come in any order and more than once: a recording's state only
moves forward (recording → processing → not stored → playable: a file the PBX says it stored
wins over an earlier failure).  ``call.recording_id`` names the call's newest playable recording
(else its newest), by callfunnel's own id: the vendor's is never shown.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calls.models import Call
from app.recordings.models import Recording
from schemas.pbx_events import CallEvent, RecordingState, RecordingUpdate

_RANK = {
    RecordingState.recording: 0,
    RecordingState.processing: 1,
    RecordingState.not_stored: 2,
    RecordingState.playable: 3,
}


def note(*, session: Session, vendor: str, calls: Mapping[str, Call], events: Sequence[CallEvent], now: datetime):
    """Records the batch's recording reports; ``calls`` (by the events' call keys) are locked."""
    reports = [event for event in events if isinstance(event, RecordingUpdate)]
    if not reports:
        return
    call_ids = {calls[event.call_key].id for event in reports}
    known = {
        (row.call_id, row.external_id): row
        for row in session.execute(select(Recording).where(Recording.call_id.in_(call_ids))).scalars()
    }
    for event in reports:
        call = calls[event.call_key]
        row = known.get((call.id, event.recording_id))
        if row is None:
            row = known[(call.id, event.recording_id)] = Recording(
                call_id=call.id,
                vendor=vendor,
                external_id=event.recording_id,
                state=event.state,
                reported_at=event.occurred_at,
                updated_at=now,
            )
            session.add(row)
        elif _RANK[event.state] > _RANK[RecordingState(row.state)]:
            row.state = event.state
        row.url = row.url or event.url
        row.extension = row.extension or event.extension
        row.ready_at = row.ready_at or event.ready_at
        row.reported_at = min(row.reported_at, event.occurred_at)
        row.updated_at = now
    session.flush()
    for call in {calls[event.call_key].id: calls[event.call_key] for event in reports}.values():
        rows = [row for (call_id, _), row in known.items() if call_id == call.id]
        newest = max(rows, key=lambda row: (row.state == RecordingState.playable, row.reported_at, row.id))
        call.recording_id = str(newest.id)
