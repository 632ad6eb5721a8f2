"""Call figures per queue, operator or day: offered, answered, missed, abandoned, service level,
average speed of answer, abandonment rate, and what became of the callbacks.

Definitions (``docs/call-center-metrics.md``), over inbound calls that started in
the period:
- service level: calls answered within 20 s of entering their queue / calls that entered a queue
  and left it answered, missed or abandoned; times compared in whole seconds, the PBXs' resolution;
- average speed of answer: mean wait in the queue of the calls answered from it;
- abandonment rate: calls the caller hung up on while queued / calls queued;
- callbacks (created in the period): done within their due time, and the median time from the
  first missed call to the callback being done;
- first-contact resolution and repeat calls over ``FCR_DAYS`` (see ``definitions``), from inbound
  calls with an identified number, each compared with the same number's other inbound calls.
"""

import statistics
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Interval, case, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from app.auth.models import User
from app.callbacks.models import Callback, CallbackStatus
from app.calls.models import Call, Outcome
from app.dispatch.models import EntryStatus, QueueEntry
from app.queues.models import Queue
from schemas.pbx_events import Direction

SERVICE_LEVEL_SECONDS = 20
_DEFINITIONS = {
    "service_level": f"answered within {SERVICE_LEVEL_SECONDS} s of entering the queue / entered the queue and "
    "left it answered, missed or abandoned (whole seconds, the PBXs' resolution)",
    "average_speed_of_answer": "mean seconds in the queue of the calls answered from it",
    "abandonment_rate": "hung up by the caller while queued / queued",
    "unconfirmed": "calls the PBX's call history does not know (possibly forged webhooks from a PBX that "
    "signs few fields); counted here only, not in the other figures",
}


def definitions(fcr_days: int) -> dict[str, str]:
    window = f"{fcr_days} day{'s' if fcr_days != 1 else ''}"
    return _DEFINITIONS | {
        "fcr_eligible": "answered inbound calls from an identified number (hidden numbers left out) that started at "
        f"least {window} before the end of the period or now, whichever is earlier (younger ones cannot be judged yet)",
        "fcr_resolved": "eligible calls after which no other inbound call from the same number started "
        f"within {window}",
        "fcr_rate": "fcr_resolved / fcr_eligible",
        "repeat_calls": f"inbound calls preceded by another inbound call from the same number within {window}",
        "repeat_call_rate": "repeat_calls / inbound calls from an identified number",
    }


def report(*, session: Session, since: datetime, until: datetime, by: str, timezone: str, fcr_days: int = 7) -> dict:
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
    repeats = _first_contact(session=session, key=key, period=period, days=timedelta(days=fcr_days), until=until)
    callbacks, callbacks_by_key = _callbacks(session=session, since=since, until=until, key=key, by=by)
    keys = sorted({row.key for row in rows} | set(unconfirmed) | set(callbacks_by_key), key=lambda k: (k is None, k))
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
                **repeats.get(group_key, _NO_REPEATS),
                "callbacks": callbacks_by_key.get(group_key) or _callback_figures([]),
            }
        )
    return {
        "since": since,
        "until": until,
        "by": by,
        "time_resolution_seconds": 1,
        "fcr_days": fcr_days,
        "definitions": definitions(fcr_days),
        "groups": groups,
        "callbacks": callbacks,
    }


_NO_REPEATS = {"fcr_eligible": 0, "fcr_resolved": 0, "fcr_rate": None, "repeat_calls": 0, "repeat_call_rate": None}


def _first_contact(*, session: Session, key, period: tuple, days: timedelta, until: datetime) -> dict:
    """Per group: first-contact resolution and repeat calls (``definitions``), each call compared
    with the same number's other inbound calls through the (number, started_at) index."""
    other = aliased(Call)
    same_number = (other.number == Call.number, other.direction == Direction.inbound, other.unconfirmed.is_(False))
    shift = _shifter(session)
    followed = exists().where(*same_number, other.started_at > Call.started_at, other.started_at <= shift(days))
    preceded = exists().where(*same_number, other.started_at < Call.started_at, other.started_at >= shift(-days))
    judged_until = min(until, datetime.now(UTC)) - days
    eligible = (Call.outcome == Outcome.answered) & (Call.started_at <= judged_until)
    rows = session.execute(
        select(
            key,
            func.count(Call.id),
            func.sum(case((eligible, 1), else_=0)),
            func.sum(case((eligible & ~followed, 1), else_=0)),
            func.sum(case((preceded, 1), else_=0)),
        )
        .where(*period, Call.unconfirmed.is_(False), Call.number.is_not(None))
        .group_by(key)
    ).all()
    return {
        group_key: {
            "fcr_eligible": judged,
            "fcr_resolved": resolved,
            "fcr_rate": _percent(resolved, judged),
            "repeat_calls": repeated,
            "repeat_call_rate": _percent(repeated, identified),
        }
        for group_key, identified, judged, resolved, repeated in rows
    }


def _shifter(session: Session):
    """``Call.started_at`` moved by a timedelta, in SQL (SQLite keeps times as text: shifted to the millisecond)."""
    if session.bind.dialect.name == "postgresql":
        return lambda delta: Call.started_at + literal(delta, Interval())
    return lambda delta: func.strftime("%Y-%m-%d %H:%M:%f", Call.started_at, f"{delta.total_seconds():+.0f} seconds")


def _callbacks(*, session: Session, since: datetime, until: datetime, key, by: str) -> tuple[dict, dict]:
    """The callbacks created in the period: their figures over all, and per group — the queue or
    day of the callback's first missed call, or (``by=operator``) the operator it is assigned to."""
    first_call = (
        select(Call.callback_id, func.min(Call.id).label("call_id"))
        .where(Call.callback_id.is_not(None))
        .group_by(Call.callback_id)
        .subquery()
    )
    group = Callback.assignee_id if by == "operator" else key
    created = session.execute(
        select(group, Callback.status, Callback.first_missed_at, Callback.due_at, Callback.closed_at)
        .select_from(Callback)
        .outerjoin(first_call, first_call.c.callback_id == Callback.id)
        .outerjoin(Call, Call.id == first_call.c.call_id)
        .where(Callback.created_at >= since, Callback.created_at < until, Callback.phone.is_not(None))
    ).all()
    groups: dict = {}
    for group_key, *row in created:
        groups.setdefault(group_key, []).append(row)
    return _callback_figures([row[1:] for row in created]), {k: _callback_figures(v) for k, v in groups.items()}


def _callback_figures(created: list) -> dict:
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
        "fcr_eligible",
        "fcr_resolved",
        "fcr_rate",
        "repeat_calls",
        "repeat_call_rate",
    ]
    rows = [[result["by"], "name", *columns]]
    rows += [[g["key"], g["name"], *(g[c] for c in columns)] for g in result["groups"]]
    return rows
