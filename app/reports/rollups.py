"""Keeping the calls report's per-day rollups true (``app/reports/models.py`` says how they work).

``apply_pending`` (a job every few seconds) takes the calls the triggers noted, computes their
figures now, and moves each call's difference from its stored part into the rollup rows.  A call's
first-contact figures depend on the same number's other calls within ``FCR_DAYS``, so their parts
are looked at too: a repeat call corrects the earlier call's day.  Applying is a difference, so a
call noted twice, or noted with nothing changed, adds nothing; one runner at a time (an advisory
lock on PostgreSQL; SQLite has one writer).  The report itself adds the differences still pending,
so it never lags the calls.
"""

import functools
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, delete, func, insert, literal, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.calls.models import Call
from app.reports import call_figures
from app.reports.call_figures import FIGURES, JUDGED
from app.reports.models import NO_GROUP, CallFiguresPart, CallRollup, CallRollupPending, RollupState
from schemas.pbx_events import Direction

log = logging.getLogger(__name__)

BATCH = 50  # notes taken per transaction, with their calls' other notes: at most 50 calls (a decision waits for it)
CHUNK = 500  # ids per IN (...) list
REBUILD_CHUNK = 20_000

Cell = tuple[str, int, int]  # day, queue id, operator id (NO_GROUP for none)
Vector = tuple[int, ...]  # one value per figure, in FIGURES order


def is_current(session: Session, *, timezone: str, fcr_days: int) -> bool:
    """Whether the rollups were built for these settings (else the report reads raw rows)."""
    state = session.get(RollupState, 1)
    return state.timezone == timezone and state.fcr_days == fcr_days


def apply_pending(session: Session, *, timezone: str, fcr_days: int) -> int:
    """Applies the calls of the next ``BATCH`` notes to the rollups; how many notes it took (each
    call's every note: a call is noted at each change, and applied once for all of them)."""
    if session.bind.dialect.name == "postgresql" and not session.scalar(_TRY_LOCK):
        return 0  # another worker is at it
    state = session.get(RollupState, 1)
    if state.timezone is None:  # never built (a new database, or the first start after the upgrade)
        count = rebuild(session, timezone=timezone, fcr_days=fcr_days)
        log.info("the calls report's rollups built from %d inbound call(s)", count)
        return 0
    notes = session.execute(_NOTES).all()
    if notes and not is_current(session, timezone=timezone, fcr_days=fcr_days):
        _warn_not_current((state.timezone, state.fcr_days), (timezone, fcr_days))
        session.execute(delete(CallRollupPending))  # a rebuild takes every call anyway
        return len(notes)
    if notes:
        change = Change(session, {call_id for _, call_id in notes}, zone=ZoneInfo(timezone), fcr_days=fcr_days)
        change.write(session)
        for chunk in _chunks([note_id for note_id, _ in notes]):
            session.execute(delete(CallRollupPending).where(CallRollupPending.id.in_(chunk)))
    return len(notes)


@functools.cache  # once per process and settings
def _warn_not_current(built_for: tuple, wanted: tuple) -> None:
    log.warning(
        "the calls report's rollups were built for TIMEZONE, FCR_DAYS = %s, not %s: the report reads raw rows "
        "(slower) until `callfunnel reports rebuild`",
        built_for,
        wanted,
    )


def pending(session: Session, *, zone: ZoneInfo, fcr_days: int) -> "Change | None":
    """What the rollups and parts still lack: every call noted and not yet applied."""
    noted = set(session.execute(select(CallRollupPending.call_id).distinct()).scalars())
    return Change(session, noted, zone=zone, fcr_days=fcr_days) if noted else None


def stored(session: Session, *, first: str, last: str, judged: bool) -> dict[Cell, Vector]:
    """The rollup rows of the days from ``first`` to ``last`` (YYYY-MM-DD), both included; without
    first-contact figures unless the days' calls are old enough to be ``judged``."""
    columns = [literal(0) if not judged and c.name in JUDGED else c for c in _figure_columns(CallRollup)]
    rows = session.execute(
        select(CallRollup.day, CallRollup.queue_id, CallRollup.operator_id, *columns).where(
            CallRollup.day >= first, CallRollup.day <= last
        )
    ).all()
    return {(row[0], row[1], row[2]): tuple(row[3:]) for row in rows}


def parts_between(session: Session, *, since: datetime, until: datetime, judged_until: datetime) -> dict[Cell, Vector]:
    """The stored parts of the calls that started in ``[since, until)`` (within one day), summed per
    queue and operator — a partial day without the raw rows' per-call work; calls younger than
    ``judged_until`` are not judged for first-contact resolution."""
    part = CallFiguresPart
    judged = part.started_at <= judged_until
    columns = _figure_columns(part)
    sums = [func.sum(case((judged, column), else_=0) if column.name in JUDGED else column) for column in columns]
    rows = session.execute(
        select(part.day, part.queue_id, part.operator_id, *sums)
        .where(part.started_at >= since, part.started_at < until)
        .group_by(part.day, part.queue_id, part.operator_id)
    ).all()
    return {(row[0], row[1], row[2]): tuple(int(v) for v in row[3:]) for row in rows}


def rebuild(session: Session, *, timezone: str, fcr_days: int) -> int:
    """Builds the rollups again from every inbound call (after a ``TIMEZONE`` or ``FCR_DAYS``
    change); how many calls.  One transaction: reports keep reading the old rollups meanwhile."""
    if session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('callfunnel.call_rollups'))"))
    for table in (CallRollupPending, CallFiguresPart, CallRollup):
        session.execute(delete(table))
    zone, after, count = ZoneInfo(timezone), 0, 0
    figures = call_figures.per_call(dialect=session.bind.dialect.name, fcr_days=fcr_days)
    query = figures.order_by(Call.id).limit(REBUILD_CHUNK)
    while rows := session.execute(query.where(Call.id > after)).all():
        session.execute(insert(CallFiguresPart), [_part(row, zone) for row in rows])
        after, count = rows[-1].id, count + len(rows)
    part = CallFiguresPart
    groups = (part.day, part.queue_id, part.operator_id)
    sums = [func.sum(column).label(column.name) for column in _figure_columns(part)]
    session.execute(
        insert(CallRollup).from_select(
            ["day", "queue_id", "operator_id", *FIGURES], select(*groups, *sums).group_by(*groups)
        )
    )
    state = session.get(RollupState, 1)
    state.timezone, state.fcr_days = timezone, fcr_days
    return count


class Change:
    """The noted calls (and their same-number neighbours) as they are now against their stored parts."""

    def __init__(self, session: Session, call_ids: set[int], *, zone: ZoneInfo, fcr_days: int) -> None:
        days = timedelta(days=fcr_days)
        old = self._parts(session, call_ids)
        new = self._figures(session, call_ids, zone=zone, fcr_days=fcr_days)
        windows = [(p["number"], p["started_at"]) for p in (*old.values(), *new.values()) if p["number"]]
        neighbours = self._neighbours(session, windows, days) - call_ids
        old |= self._parts(session, neighbours)
        new |= self._figures(session, neighbours, zone=zone, fcr_days=fcr_days)
        self.parts = [part for call_id, part in new.items() if old.get(call_id) != part]
        self.gone = [call_id for call_id in old if call_id not in new]
        self.changed = [part["call_id"] for part in self.parts] + self.gone
        self._pairs = [(old.get(call_id), new.get(call_id)) for call_id in self.changed]

    def deltas(
        self, *, since: datetime | None = None, until: datetime | None = None, judged_until: datetime | None = None
    ) -> dict[Cell, Vector]:
        """The differences per rollup row — of the calls that started in ``[since, until)`` (every
        call by default), those younger than ``judged_until`` not judged for first-contact."""
        deltas: dict[Cell, list[int]] = defaultdict(lambda: [0] * len(FIGURES))
        for pair in self._pairs:
            for part, sign in zip(pair, (-1, 1), strict=True):
                if part is None or (since is not None and not since <= part["started_at"] < until):
                    continue
                judged = judged_until is None or part["started_at"] <= judged_until
                cell = deltas[(part["day"], part["queue_id"], part["operator_id"])]
                for n, name in enumerate(FIGURES):
                    cell[n] += sign * (part[name] if judged or name not in JUDGED else 0)
        return {cell: tuple(values) for cell, values in deltas.items() if any(values)}

    def write(self, session: Session) -> None:
        for chunk in _chunks(self.changed):
            session.execute(_DELETE_PARTS, {"ids": chunk})
        if self.parts:
            session.execute(insert(CallFiguresPart), self.parts)
        if deltas := self.deltas():
            names = ("day", "queue_id", "operator_id", *FIGURES)
            rows = [dict(zip(names, (*cell, *values), strict=True)) for cell, values in deltas.items()]
            session.execute(_adding(session), rows)

    @staticmethod
    def _parts(session: Session, call_ids: Iterable[int]) -> dict[int, dict]:
        """The stored parts as plain rows (compared with ``_part``'s: same keys, same types)."""
        return {
            row.call_id: dict(row._mapping)
            for chunk in _chunks(list(call_ids))
            for row in session.execute(_PARTS, {"ids": chunk})
        }

    @staticmethod
    def _figures(session: Session, call_ids: Iterable[int], *, zone: ZoneInfo, fcr_days: int) -> dict[int, dict]:
        query = _figures_of_calls(session.bind.dialect.name, fcr_days)
        return {
            row.id: _part(row, zone)
            for chunk in _chunks(list(call_ids))
            for row in session.execute(query, {"ids": chunk}).all()
        }

    @staticmethod
    def _neighbours(session: Session, windows: list[tuple[str, datetime]], days: timedelta) -> set[int]:
        """Inbound calls of the same numbers within ``days`` of the given calls."""
        spans: dict[str, tuple[datetime, datetime]] = {}
        for number, at in windows:
            low, high = spans.get(number, (at, at))
            spans[number] = (min(low, at), max(high, at))
        found: set[int] = set()
        for numbers in _close_together(spans, days):
            # One query for numbers whose spans lie close together, from the earliest to the latest
            # (a batch's calls are mostly minutes apart); each number's own span is kept here.
            low = min(spans[number][0] for number in numbers) - days
            high = max(spans[number][1] for number in numbers) + days
            rows = session.execute(_SAME_NUMBERS, {"numbers": numbers, "low": low, "high": high})
            found.update(
                row.id for row in rows if spans[row.number][0] - days <= row.started_at <= spans[row.number][1] + days
            )
        return found


_PART_TABLE = CallFiguresPart.__table__
_PARTS = select(_PART_TABLE).where(_PART_TABLE.c.call_id.in_(bindparam("ids", expanding=True)))
_DELETE_PARTS = delete(_PART_TABLE).where(_PART_TABLE.c.call_id.in_(bindparam("ids", expanding=True)))


def _part(row, zone: ZoneInfo) -> dict:
    return {
        "call_id": row.id,
        "day": row.started_at.astimezone(zone).date().isoformat(),
        "queue_id": row.queue_id or NO_GROUP,
        "operator_id": row.operator_id or NO_GROUP,
        "number": row.number,
        "started_at": row.started_at,
        **{name: int(getattr(row, name)) for name in FIGURES},
    }


def _adding(session: Session):
    """``INSERT`` of rollup rows that adds to an existing row of the same day, queue and operator."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(CallRollup)
    return statement.on_conflict_do_update(
        index_elements=["day", "queue_id", "operator_id"],
        set_={name: getattr(CallRollup, name) + getattr(statement.excluded, name) for name in FIGURES},
    )


def _figure_columns(model) -> list:
    return [getattr(model, name) for name in FIGURES]


def _close_together(spans: dict[str, tuple[datetime, datetime]], days: timedelta) -> Iterable[list[str]]:
    """The numbers in groups of at most ``CHUNK`` whose spans all lie within ``days`` of the group's first."""
    group: list[str] = []
    for number in sorted(spans, key=lambda number: spans[number][0]):
        if group and (len(group) == CHUNK or spans[number][1] > spans[group[0]][0] + days):
            yield group
            group = []
        group.append(number)
    if group:
        yield group


def _chunks(items: list) -> Iterable[list]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@functools.cache
def _figures_of_calls(dialect: str, fcr_days: int):
    """Built once per dialect and ``FCR_DAYS``: the figures of the calls ``ids`` (building the
    query, a few dozen expressions, cost more than running it for a batch)."""
    return call_figures.per_call(dialect=dialect, fcr_days=fcr_days).where(
        Call.id.in_(bindparam("ids", expanding=True))
    )


# Built once (see app/database.py): the next notes with their calls' other notes, and the inbound
# calls of some numbers between two times.
_PENDING = CallRollupPending.__table__
_NOTES = select(_PENDING.c.id, _PENDING.c.call_id).where(
    _PENDING.c.call_id.in_(select(_PENDING.c.call_id).order_by(_PENDING.c.id).limit(BATCH).scalar_subquery())
)
_CALLS = Call.__table__
_SAME_NUMBERS = select(_CALLS.c.id, _CALLS.c.number, _CALLS.c.started_at).where(
    _CALLS.c.number.in_(bindparam("numbers", expanding=True)),
    _CALLS.c.direction == Direction.inbound.value,
    _CALLS.c.started_at >= bindparam("low"),
    _CALLS.c.started_at <= bindparam("high"),
)
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtext('callfunnel.call_rollups'))")
