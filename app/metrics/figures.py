"""The figures that live in the database, read when ``/metrics`` is scraped: whichever worker
answers, they are the same — and right after a restart — because no process keeps them."""

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.callbacks.models import IS_OPEN, Callback
from app.inbox import backlog
from app.operators.models import Operator, OperatorState
from app.queues.models import Queue
from app.realtime import queue_stats
from app.reconcile.models import Reconciliation
from routing.hours import BusinessHours

BACKLOG_CAP = 1_000_000  # counted through the pending index up to this (more says "over a million")


def read(session: Session, *, now: datetime) -> list[Metric]:
    """Every database figure as a Prometheus metric family, read in one transaction."""
    return [
        *_inbox(session, now),
        *_queues(session, now),
        _operators(session),
        *_callbacks(session, now),
        _reconciled(session),
    ]


def _gauge(name: str, documentation: str, value: float | None = None, *, labels: tuple[str, ...] = ()):
    family = GaugeMetricFamily(name, documentation, labels=list(labels) if labels else None)
    if value is not None:
        family.add_metric([], value)
    return family


def _inbox(session: Session, now: datetime) -> Iterator[Metric]:
    yield _gauge(
        "callfunnel_inbox_backlog",
        "Webhooks stored but not yet processed into call state",
        backlog.pending(session, cap=BACKLOG_CAP),
    )
    oldest = backlog.oldest(session)
    yield _gauge(
        "callfunnel_inbox_oldest_age_seconds",
        "How long the oldest unprocessed webhook has waited (0: none waits)",
        max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
    )


def _queues(session: Session, now: datetime) -> Iterator[Metric]:
    waiting = _gauge("callfunnel_queue_waiting", "Calls waiting in the queue now", labels=("queue",))
    longest = _gauge(
        "callfunnel_queue_longest_wait_seconds", "How long the longest-waiting call has waited", labels=("queue",)
    )
    level = _gauge(
        "callfunnel_queue_service_level_ratio",
        f"Today's calls answered within {queue_stats.SERVICE_LEVEL_SECONDS} s of entering the queue, over "
        "those that ended (the desk's service level, 0-1; absent before the first call of the day ends)",
        labels=("queue",),
    )
    open_ = _gauge("callfunnel_queue_open", "1 while the queue is within its business hours, else 0", labels=("queue",))
    queues = list(session.execute(select(Queue).order_by(Queue.id)).scalars())
    figures = queue_stats.compute(session, queues, now)
    for queue in queues:
        open_.add_metric([queue.name], int(BusinessHours(queue.hours, queue.timezone).is_open(now)))
        stats = figures[queue.id]
        waiting.add_metric([queue.name], stats["waiting"])
        longest.add_metric([queue.name], stats["longest_wait_seconds"])
        if stats["service_level_today"] is not None:
            level.add_metric([queue.name], stats["service_level_today"] / 100)
    yield from (waiting, longest, level, open_)


def _operators(session: Session) -> Metric:
    counts = dict(
        session.execute(
            select(Operator.state, func.count())
            .join(User, User.id == Operator.user_id)
            .where(User.active)
            .group_by(Operator.state)
        ).all()
    )
    family = _gauge("callfunnel_operators", "Operators (active accounts) by state", labels=("state",))
    for state in OperatorState:
        family.add_metric([state.value], counts.get(state, 0))
    return family


def _callbacks(session: Session, now: datetime) -> Iterator[Metric]:
    open_, overdue = session.execute(
        select(func.count(), func.count().filter(Callback.due_at < now)).where(IS_OPEN)
    ).one()
    yield _gauge("callfunnel_callbacks_open", "Callbacks open or in progress", open_)
    yield _gauge("callfunnel_callbacks_overdue", "Open callbacks past their due time", overdue)


def _reconciled(session: Session) -> Metric:
    family = _gauge(
        "callfunnel_reconcile_last_success_timestamp_seconds",
        "When each vendor's call history was last read without an error (Unix time)",
        labels=("vendor",),
    )
    rows = session.execute(select(Reconciliation.vendor, Reconciliation.last_success_at)).all()
    for vendor, succeeded in rows:
        if succeeded is not None:
            family.add_metric([vendor], succeeded.timestamp())
    return family


def vendors(configured: list[str]) -> Metric:
    """Which PBXs this deployment takes webhooks from (their secrets are set): what the "no
    webhooks" alert watches."""
    family = _gauge(
        "callfunnel_vendor_configured", "1 for each PBX whose webhooks are accepted (configured)", labels=("vendor",)
    )
    for name in configured:
        family.add_metric([name], 1)
    return family
