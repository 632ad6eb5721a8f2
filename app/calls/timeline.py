"""Steps on the call's timeline: those its events bring (``call_events``) and those no PBX event
carries (offered, offer ended, taken, left the queue, recovered).

Steps are kept in the session and written in one statement as its transaction commits: a routing
decision puts three or four on its call's timeline, a batch of events dozens, and each was a
statement of its own.  A savepoint that rolls back takes its steps with it (``session_notes``).
Nothing reads a timeline in the transaction that writes it.
"""

from datetime import datetime

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from app import session_notes
from app.calls.models import CallTransition
from app.database import utcnow

_STEPS = "timeline"


def note(session: Session, *, call_id: int, at: datetime, kind: str, **detail) -> None:
    add(session, [{"call_id": call_id, "at": at, "recorded_at": utcnow(), "kind": kind, "detail": detail}])


def add(session: Session, rows: list[dict]) -> None:
    """Timeline rows (``call_transition``'s columns) to write as the transaction commits."""
    for row in rows:
        session_notes.keep(session, _STEPS, row)


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    if session.in_nested_transaction():  # (fires for a released savepoint too: only the real commit counts)
        return
    if rows := session_notes.take(session, _STEPS):
        session.execute(_INSERT, rows)


_INSERT = insert(CallTransition.__table__)  # (built once)
