"""Call figures per queue, operator or day: offered, answered, missed, abandoned, service level,
average speed of answer, abandonment rate, and what became of the callbacks.

Definitions (``docs/call-center-metrics.md``), over inbound calls that started in
the period:
- service level: calls answered within 20 s of entering their queue / calls that entered a queue
  and left it answered, missed or abandoned; times compared in whole seconds, the PBXs' resolution;
- average speed of answer: mean wait in the queue of the calls answered from it;
- abandonment rate: calls the caller hung up on while queued / calls queued;
- callbacks (created in the period): done within their due time, and the median time from the
  first missed call to the callback being done.
"""

import statistics
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.callbacks.models import Callback, CallbackStatus
from app.calls.models import Call, Outcome
from app.dispatch.models import EntryStatus, QueueEntry
from app.queues.models import Queue
from schemas.pbx_events import Direction

SERVICE_LEVEL_SECONDS = 20
DEFINITIONS = {
    "service_level": f"answered within {SERVICE_LEVEL_SECONDS} s of entering the queue / entered the queue and "
    "left it answered, missed or abandoned (whole seconds, the PBXs' resolution)",
    "average_speed_of_answer": "mean seconds in the queue of the calls answered from it",
    "abandonment_rate": "hung up by the caller while queued / queued",
    "unconfirmed": "calls the PBX's call history does not know (possibly forged webhooks from a PBX that "
    "signs few fields); counted here only, not in the other figures",
}


def report(*, session: Session, since: datetime, until: datetime, by: str, timezone: str) -> dict:
    key, label = _grouping(session=session, by=by, timezone=timezone)
    wait = QueueEntry.wait_seconds
    answered_from_queue = QueueEntry.status == EntryStatus.connected

    def count_if(condition):
        return func.sum(case((condition, 1), else_=0))

    period = (Call.direction == Direction.inbound, Call.started_at >= since, Call.started_at < until)
    unconfirmed = dict(
        session.execute(select(key, func.count(Call.id)).where(*period, Call.unconfirmed).group_by(key)).all()
    )
    rows = session.execute(
        select(
            key.label("key"),
            func.count(Call.id),
            count_if(Call.outcome == Outcome.answered),
            count_if(Call.outcome == Outcome.missed),
            count_if(Call.outcome == Outcome.abandoned),
            func.count(QueueEntry.id),
            count_if(answered_from_queue & (wait <= SERVICE_LEVEL_SECONDS)),
            count_if(QueueEntry.status.in_((EntryStatus.connected, EntryStatus.exited))),
            func.sum(case((answered_from_queue, wait), else_=0)),
            count_if(answered_from_queue),
            count_if(QueueEntry.id.is_not(None) & (Call.outcome == Outcome.abandoned)),
        )
        .outerjoin(QueueEntry, QueueEntry.call_id == Call.id)
        .where(*period, Call.unconfirmed.is_(False))
        .group_by(key)
        .order_by(key)
    ).all()
    keys = sorted({row.key for row in rows} | set(unconfirmed), key=lambda k: (k is None, k))
    by_key = {row.key: row[1:] for row in rows}
    names = label(session, keys)
    groups = []
    for group_key in keys:
        figures = by_key.get(group_key) or (0,) * 10
        offered, answered, missed, abandoned, queued, quick, ended, waited, from_queue, gave_up = figures
        groups.append(
            {
                "key": group_key,
                "name": names.get(group_key),
                "offered": offered,
                "answered": answered,
                "missed": missed,
                "abandoned": abandoned,
                "service_level": _percent(quick, ended),
                "average_speed_of_answer": round(waited / from_queue, 1) if from_queue else None,
                "abandonment_rate": _percent(gave_up, queued),
                "unconfirmed": unconfirmed.get(group_key, 0),
            }
        )
    return {
        "since": since,
        "until": until,
        "by": by,
        "time_resolution_seconds": 1,
        "definitions": DEFINITIONS,
        "groups": groups,
        "callbacks": _callbacks(session=session, since=since, until=until),
    }


def _callbacks(*, session: Session, since: datetime, until: datetime) -> dict:
    created = session.execute(
        select(Callback.status, Callback.first_missed_at, Callback.due_at, Callback.closed_at).where(
            Callback.created_at >= since, Callback.created_at < until, Callback.phone.is_not(None)
        )
    ).all()
    done = [(first, due, closed) for status, first, due, closed in created if status == CallbackStatus.done]
    return {
        "created": len(created),
        "done": len(done),
        "done_within_due_time": _percent(sum(1 for _, due, closed in done if closed <= due), len(created)),
        "median_minutes_to_callback": round(statistics.median((c - f).total_seconds() / 60 for f, _, c in done), 1)
        if done
        else None,
    }


def _grouping(*, session: Session, by: str, timezone: str):
    if by == "queue":
        return Call.queue_id, _names(Queue)
    if by == "operator":
        return Call.operator_id, _names(User)
    offset = datetime.now(ZoneInfo(timezone)).utcoffset() or timedelta()
    if session.bind.dialect.name == "postgresql":
        day = func.to_char(func.timezone(timezone, Call.started_at), "YYYY-MM-DD")
    else:  # SQLite keeps UTC: shifted by the zone's current offset
        day = func.date(Call.started_at, f"{int(offset.total_seconds())} seconds")
    return day, lambda _session, _keys: {}


def _names(model):
    def label(session: Session, keys: list) -> dict:
        ids = [k for k in keys if k is not None]
        return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all()) if ids else {}

    return label


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def csv_rows(result: dict) -> list[list]:
    columns = [
        "offered",
        "answered",
        "missed",
        "abandoned",
        "service_level",
        "average_speed_of_answer",
        "abandonment_rate",
        "unconfirmed",
    ]
    rows = [[result["by"], "name", *columns]]
    rows += [[g["key"], g["name"], *(g[c] for c in columns)] for g in result["groups"]]
    return rows
