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
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.auth.models import User
from app.callbacks.models import Callback, CallbackStatus
from app.calls.models import Call
from app.queues.models import Queue
from app.reports import call_figures, rollups
from app.reports.call_figures import FIGURES, SERVICE_LEVEL_SECONDS
from app.reports.models import NO_GROUP

_DEFINITIONS = {
    "service_level": f"answered within {SERVICE_LEVEL_SECONDS} s of entering the queue / entered the queue and "
    "left it answered, missed or abandoned (whole seconds, the PBXs' resolution)",
    "average_speed_of_answer": "mean seconds in the queue of the calls answered from it",
    "abandonment_rate": "hung up by the caller while queued / queued",
    "unconfirmed": "calls the PBX's call history does not know (possibly forged webhooks from a PBX that "
    "signs few fields); counted here only, not in the other figures",
}
# No call starts outside these (a PBX's webhooks are recent); a period is cut to them, so that day
# arithmetic at its edges stays within the calendar.
_EARLIEST, _LATEST = datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


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
    if session.bind.dialect.name == "postgresql":  # rollups, parts and pending notes from one snapshot
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    start, end = max(since, _EARLIEST), max(_EARLIEST, min(until, _LATEST))
    judged_until = min(end, datetime.now(UTC)) - timedelta(days=fcr_days)
    cells = _cells(
        session=session, since=start, until=end, zone=ZoneInfo(timezone), fcr_days=fcr_days, judged_until=judged_until
    )
    grouped: dict = defaultdict(lambda: [0] * len(FIGURES))
    position = {"day": 0, "queue": 1, "operator": 2}[by]
    for cell, values in cells:
        group = grouped[cell[position] if by == "day" else (cell[position] or None)]
        for n, value in enumerate(values):
            group[n] += value
    figures = {key: dict(zip(FIGURES, values, strict=True)) for key, values in grouped.items()}
    figures = {key: f for key, f in figures.items() if f["offered"] or f["unconfirmed"]}
    key, label = _grouping(session=session, by=by, timezone=timezone)
    callbacks, callbacks_by_key = _callbacks(session=session, since=since, until=until, key=key, by=by)
    keys = sorted(set(figures) | set(callbacks_by_key), key=lambda k: (k is None, k))
    names = label(session, keys)
    empty = dict.fromkeys(FIGURES, 0)
    groups = [
        {"key": group_key, "name": names.get(group_key), **_group(figures.get(group_key, empty))}
        | {"callbacks": callbacks_by_key.get(group_key) or _callback_figures([])}
        for group_key in keys
    ]
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


def _group(f: dict) -> dict:
    return {
        "offered": f["offered"],
        "answered": f["answered"],
        "missed": f["missed"],
        "abandoned": f["abandoned"],
        "service_level": _percent(f["quick"], f["ended"]),
        "average_speed_of_answer": round(f["waited"] / f["from_queue"], 1) if f["from_queue"] else None,
        "abandonment_rate": _percent(f["gave_up"], f["queued"]),
        "unconfirmed": f["unconfirmed"],
        "fcr_eligible": f["fcr_eligible"],
        "fcr_resolved": f["fcr_resolved"],
        "fcr_rate": _percent(f["fcr_resolved"], f["fcr_eligible"]),
        "repeat_calls": f["repeated"],
        "repeat_call_rate": _percent(f["repeated"], f["identified"]),
    }


def _cells(*, session: Session, since: datetime, until: datetime, zone: ZoneInfo, fcr_days: int, judged_until):
    """The period's figures per (day, queue, operator): runs of whole days from the rollup rows, the
    partial days at the edges (and the day on which calls become too young to judge) from each
    call's stored part, and the calls noted since the rollups were last brought up to date from
    their differences — so the report is never behind the calls.  Without current rollups, all
    from the raw rows (whole days then by the database's idea of the day: on SQLite, the zone's
    current offset)."""
    spans = _spans(since=since, until=until, zone=zone, judged_until=judged_until)
    if not rollups.is_current(session, timezone=zone.key, fcr_days=fcr_days):
        yield from _raw_cells(session=session, spans=spans, zone=zone, fcr_days=fcr_days, judged_until=judged_until)
        return
    for start, end, whole in spans:
        if whole:
            first, last = _day(start, zone), _day(end - timedelta(microseconds=1), zone)
            # (the run of days is cut at judged_until's day: all of it old enough, or none)
            yield from rollups.stored(session, first=first, last=last, judged=end <= judged_until).items()
        else:
            yield from rollups.parts_between(session, since=start, until=end, judged_until=judged_until).items()
    if (pending := rollups.pending(session, zone=zone, fcr_days=fcr_days)) is not None:
        yield from pending.deltas(since=since, until=until, judged_until=judged_until).items()


def _raw_cells(*, session: Session, spans: list[tuple], zone: ZoneInfo, fcr_days: int, judged_until: datetime):
    for start, end, whole in spans:
        raw = call_figures.summed(dialect=session.bind.dialect.name, fcr_days=fcr_days, judged_until=judged_until)
        raw = raw.where(Call.started_at >= start, Call.started_at < end)
        if whole:
            day = _day_in_sql(session, zone)
            for row in session.execute(raw.add_columns(day).group_by(day)).all():
                yield (row[-1], row[0] or NO_GROUP, row[1] or NO_GROUP), tuple(int(v or 0) for v in row[2:-1])
        else:
            for row in session.execute(raw).all():
                yield (_day(start, zone), row[0] or NO_GROUP, row[1] or NO_GROUP), tuple(int(v or 0) for v in row[2:])


def _spans(*, since: datetime, until: datetime, zone: ZoneInfo, judged_until: datetime) -> list[tuple]:
    """``[since, until)`` as (start, end, whole days?): the partial days at its edges and the run of
    whole days between, cut where calls become too young to judge (that day partial unless the cut
    falls on its midnight).  A few pieces, however long the period."""
    if since >= until:
        return []
    first, last = _midnight(since, zone, after=True), _midnight(until, zone, after=False)
    cuts = {since, until} | {midnight for midnight in (first, last) if since < midnight < until}
    if first < judged_until < last:
        cuts |= {judged_until, _midnight(judged_until, zone, after=False), _midnight(judged_until, zone, after=True)}
    points = sorted(cuts)

    def is_midnight(at: datetime) -> bool:
        return _midnight(at, zone, after=False) == at

    return [
        (a, b, first <= a and b <= last and is_midnight(a) and is_midnight(b))
        for a, b in zip(points, points[1:], strict=False)
    ]


def _midnight(at: datetime, zone: ZoneInfo, *, after: bool) -> datetime:
    """The local midnight at or before ``at`` (``after``: at or after it), in UTC."""
    local = at.astimezone(zone)
    midnight = datetime.combine(local.date(), time(), zone)
    if after and midnight.astimezone(UTC) < at:
        midnight = datetime.combine(local.date() + timedelta(days=1), time(), zone)
    return midnight.astimezone(UTC)


def _day(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).date().isoformat()


def _callbacks(*, session: Session, since: datetime, until: datetime, key, by: str) -> tuple[dict, dict]:
    """The callbacks created in the period: their figures over all, and per group — the queue or
    day of the callback's first missed call, or (``by=operator``) the operator it is assigned to."""
    # (each callback's first call looked up by its index: not the first calls of every callback ever)
    first_call = select(func.min(Call.id)).where(Call.callback_id == Callback.id).correlate(Callback).scalar_subquery()
    group = Callback.assignee_id if by == "operator" else key
    created = session.execute(
        select(group, Callback.status, Callback.first_missed_at, Callback.due_at, Callback.closed_at)
        .select_from(Callback)
        .outerjoin(Call, Call.id == first_call)
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
    return _day_in_sql(session, ZoneInfo(timezone)), lambda _session, _keys: {}


def _day_in_sql(session: Session, zone: ZoneInfo):
    """A call's day in ``zone`` (YYYY-MM-DD), in SQL: SQLite keeps UTC and knows no zones, so there it
    is shifted by the zone's current offset."""
    if session.bind.dialect.name == "postgresql":
        return func.to_char(func.timezone(zone.key, Call.started_at), "YYYY-MM-DD")
    offset = datetime.now(zone).utcoffset() or timedelta()
    return func.date(Call.started_at, f"{int(offset.total_seconds())} seconds")


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
