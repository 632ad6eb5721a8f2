"""Who listened to what: one row per user, recording and hour (not per Range request), shown on
the call to supervisors and kept ``PLAYBACK_LOG_DAYS``."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import retention
from app.auth.models import User
from app.database import insert_ignoring_duplicates
from app.recordings.models import Playback


def log(*, session: Session, user_id: int, recording_id: int, now: datetime) -> None:
    hour = now.replace(minute=0, second=0, microsecond=0)
    session.execute(
        insert_ignoring_duplicates(session, Playback.__table__, index_elements=["recording_id", "user_id", "hour"]),
        [{"recording_id": recording_id, "user_id": user_id, "hour": hour}],
    )


def of(*, session: Session, recording_ids: list[int]) -> dict[int, list[dict]]:
    """Each recording's playbacks, newest first."""
    query = (
        select(Playback.recording_id, Playback.user_id, User.name, Playback.hour)
        .join(User, User.id == Playback.user_id)
        .where(Playback.recording_id.in_(recording_ids))
        .order_by(Playback.hour.desc(), Playback.id.desc())
    )
    found: dict[int, list[dict]] = {recording_id: [] for recording_id in recording_ids}
    for recording_id, user_id, name, hour in session.execute(query):
        found[recording_id].append({"user_id": user_id, "user_name": name, "hour": hour})
    return found


def prune(session: Session, *, before: datetime) -> int:
    batch = select(Playback.id).where(Playback.hour < before).limit(retention.BATCH).scalar_subquery()
    return session.execute(delete(Playback).where(Playback.id.in_(batch))).rowcount
