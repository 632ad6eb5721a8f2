"""What callfunnel counts as it works, for ``GET /metrics`` (Prometheus).

Counters and histograms live in this process, or — under ``callfunnel serve --workers N``, which
sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker starts — in prometheus-client's multiprocess
directory, so a scrape of any worker sums them all.  A change a transaction makes is counted when
the transaction commits (``count``/``observe`` with the session): a rolled-back, retried or
savepoint-undone change counts nothing, and a change counts once however many steps it took.
Figures that live in the database (backlog, queues, operators, callbacks) are not counted here:
``app.metrics`` reads them when scraped.  Labels are bounded: vendors, results, queue names,
states — never a phone number or a call id.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import prometheus_client
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import session_notes

prometheus_client.disable_created_metrics()  # (``*_created`` series: one per label set, of no use here)

WEBHOOKS = Counter(
    "callfunnel_webhooks",
    "Webhooks received, by vendor and result: accepted, duplicate, refused (4xx: signature, source, age, "
    "size), unreadable (verified, kept for replay), failed (not stored: the database was unavailable)",
    ["vendor", "result"],
)
WEBHOOK_SECONDS = Histogram(
    "callfunnel_webhook_duration_seconds", "Time from a webhook's arrival to its answer", ["vendor"]
)
PROCESSING_LAG = Histogram(
    "callfunnel_processing_lag_seconds",
    "Time from a webhook's acknowledgement to the call state it changed being committed",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
CALLS = Counter(
    "callfunnel_calls",
    "Calls finalized, by outcome: answered, missed, abandoned, not_reached (a later correction is not counted)",
    ["outcome"],
)
OFFERS = Counter(
    "callfunnel_offers",
    "Offers to operators that ended, by result: accepted, rejected, expired (rang out), revoked "
    "(taken by a colleague, caller hung up, withdrawn)",
    ["result"],
)
ROUTING_DECISIONS = Counter(
    "callfunnel_routing_decisions",
    "Routing webhooks a PBX waited on, by result: decided, deadline (answered with the PBX's own plan: "
    "no decision within SYNC_DECISION_DEADLINE_MS), failed (deciding raised; answered the same way)",
    ["vendor", "result"],
)
WEBSOCKETS = Gauge(
    "callfunnel_websockets",
    "Open websockets, by kind: operator (panels), supervisor (missed-call feeds)",
    ["kind"],
    multiprocess_mode="livesum",
)
for _kind in ("operator", "supervisor"):
    WEBSOCKETS.labels(_kind)  # (shown as 0 before the first one opens)
PBX_COMMANDS = Counter(
    "callfunnel_pbx_commands",
    "Commands to PBX APIs, by vendor and result: sent, failed, retried (a transient error, sent again later), "
    "budget_refused (over the vendor's rate budget)",
    ["vendor", "result"],
)
DB_RETRIES = Counter(
    "callfunnel_db_retries",
    "Database work retried, by reason: deadlock, serialization_failure, lock_not_available (PostgreSQL), "
    "operational_error (a dropped connection, say), sqlite_locked (SQLite's switch to WAL on a fresh file)",
    ["reason"],
)

_state = {"enabled": True}


def enable(on: bool) -> None:
    """``METRICS_ENABLED``: off, nothing is counted (the instruments cost nothing but this check)."""
    _state["enabled"] = on


def enabled() -> bool:
    return _state["enabled"]


def add(metric: Counter, *labels: str) -> None:
    """Counts one, now (for what no transaction decides: a webhook's answer, a retry)."""
    if _state["enabled"]:
        metric.labels(*labels).inc()


def record(metric: Histogram, value: float, *labels: str) -> None:
    """Observes ``value`` now."""
    if _state["enabled"]:
        (metric.labels(*labels) if labels else metric).observe(value)


def count(session: Session, metric: Counter, *labels: str) -> None:
    """Counts one once ``session``'s transaction commits."""
    if _state["enabled"]:
        _note(session, metric.labels(*labels).inc, 1)


def observe(session: Session, metric: Histogram, value: float) -> None:
    """Observes ``value`` once ``session``'s transaction commits."""
    if _state["enabled"]:
        _note(session, metric.observe, value)


@contextmanager
def socket_open(kind: str) -> Iterator[None]:
    """Counts a websocket of ``kind`` as open for the duration of the block."""
    gauge = WEBSOCKETS.labels(kind) if _state["enabled"] else None
    if gauge is not None:
        gauge.inc()
    try:
        yield
    finally:
        if gauge is not None:
            gauge.dec()


_NOTES = "metrics"


def _note(session: Session, apply, value: float) -> None:
    session_notes.keep(session, _NOTES, (apply, value))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # (fires for a released savepoint too: only the real commit counts)
        return
    for apply, value in session_notes.take(session, _NOTES):
        apply(value)
