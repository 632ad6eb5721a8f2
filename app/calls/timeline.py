"""Steps on the call's timeline that no PBX event carries (offered, offer ended, taken, left the queue, recovered)."""

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.calls.models import CallTransition
from app.database import utcnow


def note(session: Session, *, call_id: int, at: datetime, kind: str, **detail) -> None:
    session.execute(NOTES, [{"call_id": call_id, "at": at, "recorded_at": utcnow(), "kind": kind, "detail": detail}])


NOTES = insert(CallTransition.__table__)  # (built once: a few of these go with every call)
