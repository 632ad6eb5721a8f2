"""What one inbound call contributes to the calls report, as SQL: each figure is 0 or 1 per call
(``waited`` is seconds), so the report of any set of calls is the sum of their figures — read from
raw rows or from rollups alike.

Definitions (``docs/call-center-metrics.md``): service level counts calls answered within
``SERVICE_LEVEL_SECONDS`` of entering their queue (``quick``) over calls that left the queue
answered, missed or abandoned (``ended``), in whole seconds, the PBXs' resolution; an unconfirmed
call (unknown to the PBX's history) counts only as ``unconfirmed``; first-contact resolution and
repeat calls compare a call with the same number's other inbound calls within ``FCR_DAYS``.
"""

from datetime import datetime, timedelta

from sqlalchemy import Interval, case, exists, func, literal, select
from sqlalchemy.orm import aliased

from app.calls.models import Call, Outcome
from app.dispatch.models import EntryStatus, QueueEntry
from app.reports.models import Figures
from schemas.pbx_events import Direction

SERVICE_LEVEL_SECONDS = 20
FIGURES = tuple(Figures.model_fields)
JUDGED = ("fcr_eligible", "fcr_resolved")  # a call's figures only once it is old enough to judge
INBOUND = Call.direction == Direction.inbound


def columns(*, dialect: str, fcr_days: int, judged_until: datetime | None = None) -> list:
    """One labelled SQL expression per figure over ``Call`` outer-joined with its ``QueueEntry``.

    ``dialect``: the database's (``session.bind.dialect.name``).  ``judged_until``: only answered
    calls that started by then are eligible for first-contact resolution (younger ones cannot be
    judged yet); ``None`` for a call's stored part, where the report applies the date itself.
    """
    confirmed = Call.unconfirmed.is_(False)
    queued = confirmed & QueueEntry.id.is_not(None)
    from_queue = confirmed & (QueueEntry.status == EntryStatus.connected)
    identified = confirmed & Call.number.is_not(None)
    answered = confirmed & (Call.outcome == Outcome.answered)
    eligible = identified & answered
    if judged_until is not None:
        eligible = eligible & (Call.started_at <= judged_until)
    followed, preceded = _neighbours(dialect=dialect, days=timedelta(days=fcr_days))
    flags = {
        "offered": confirmed,
        "answered": answered,
        "missed": confirmed & (Call.outcome == Outcome.missed),
        "abandoned": confirmed & (Call.outcome == Outcome.abandoned),
        "queued": queued,
        "quick": from_queue & (QueueEntry.wait_seconds <= SERVICE_LEVEL_SECONDS),
        "ended": confirmed & QueueEntry.status.in_((EntryStatus.connected, EntryStatus.exited)),
        "from_queue": from_queue,
        "gave_up": queued & (Call.outcome == Outcome.abandoned),
        "unconfirmed": ~confirmed,
        "identified": identified,
        "fcr_eligible": eligible,
        "fcr_resolved": eligible & ~followed,
        "repeated": identified & preceded,
    }
    waited = case((from_queue, func.coalesce(QueueEntry.wait_seconds, 0)), else_=0)
    return [(waited if name == "waited" else case((flags[name], 1), else_=0)).label(name) for name in FIGURES]


def per_call(*, dialect: str, fcr_days: int, judged_until: datetime | None = None):
    """``SELECT`` of inbound calls with their figures (add the ``WHERE``)."""
    figures = columns(dialect=dialect, fcr_days=fcr_days, judged_until=judged_until)
    return (
        select(Call.id, Call.started_at, Call.queue_id, Call.operator_id, Call.number, *figures)
        .outerjoin(QueueEntry, QueueEntry.call_id == Call.id)
        .where(INBOUND)
    )


def summed(*, dialect: str, fcr_days: int, judged_until: datetime):
    """``SELECT`` of the figures summed per queue and operator (add the ``WHERE``)."""
    figures = columns(dialect=dialect, fcr_days=fcr_days, judged_until=judged_until)
    return (
        select(Call.queue_id, Call.operator_id, *(func.sum(figure).label(figure.name) for figure in figures))
        .outerjoin(QueueEntry, QueueEntry.call_id == Call.id)
        .where(INBOUND)
        .group_by(Call.queue_id, Call.operator_id)
    )


def _neighbours(*, dialect: str, days: timedelta):
    """Whether another inbound call from the same number started within ``days`` after / before the
    call (through the (number, started_at) index)."""
    other = aliased(Call)
    same_number = (other.number == Call.number, other.direction == Direction.inbound, other.unconfirmed.is_(False))
    shift = _shifter(dialect)
    followed = exists().where(*same_number, other.started_at > Call.started_at, other.started_at <= shift(days))
    preceded = exists().where(*same_number, other.started_at < Call.started_at, other.started_at >= shift(-days))
    return followed, preceded


def _shifter(dialect: str):
    """``Call.started_at`` moved by a timedelta, in SQL (SQLite keeps times as text: shifted to the millisecond)."""
    if dialect == "postgresql":
        return lambda delta: Call.started_at + literal(delta, Interval())
    return lambda delta: func.strftime("%Y-%m-%d %H:%M:%f", Call.started_at, f"{delta.total_seconds():+.0f} seconds")
