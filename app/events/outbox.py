"""Events are written by the transaction that causes them, numbered as it commits, shown after it.

``publish`` only notes an event in the session; just before the commit the notes get their
``seq`` from the ``event_counter`` row (locked until the commit, so numbers become visible in
order) and are written to ``realtime_event``.  A rolled-back transaction writes nothing, so a
change that did not happen is never shown.  After the commit the process's bus is woken; on
PostgreSQL a ``NOTIFY`` (delivered at commit) wakes the other processes.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import bindparam, event, func, insert, select, update
from sqlalchemy.orm import Session

from app.database import utcnow
from app.events.models import OPERATOR, SESSIONS, SUPERVISORS, EventCounter, RealtimeEvent

CHANNEL = "callfunnel_events"
_PENDING = "realtime.pending"
_CHANGED = "realtime.changed"
_WRITTEN = "realtime.written"

# kind -> announcer(session, {id: [what happened, ...]}): turns the rows a transaction changed into events
_ANNOUNCERS: dict[str, Callable[[Session, dict[int, list[str]]], None]] = {}


def publish(
    session: Session, type_: str, payload: dict, *, operator_id: int | None = None, audience: str | None = None
) -> None:
    """Shows ``payload`` to the supervisors, or to one operator's panels, once the transaction commits.

    ``payload`` must be JSON-ready (see ``schemas.realtime``'s ``dump``)."""
    audience = audience or (OPERATOR if operator_id is not None else SUPERVISORS)
    session.info.setdefault(_PENDING, []).append((type_, audience, operator_id, payload))


def token_revoked(session: Session, *, user_id: int, token_digest: str) -> None:
    """A token stopped working: every process closes the sockets opened with it once this commits."""
    publish(session, "token_revoked", {"user_id": user_id, "token_digest": token_digest}, audience=SESSIONS)


def changed(session: Session, kind: str, row_id: int, what: str = "changed") -> None:
    """A row of ``kind`` changed: it is announced as the transaction leaves it (one event, however
    many steps it took), by the announcer registered for ``kind``."""
    session.info.setdefault(_CHANGED, {}).setdefault(kind, {}).setdefault(row_id, []).append(what)


def announcer(kind: str):
    """Registers the function that turns changed rows of ``kind`` into events."""

    def register(function: Callable[[Session, dict[int, list[str]]], None]):
        _ANNOUNCERS[kind] = function
        return function

    return register


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """``begin_nested`` whose events go with it when it rolls back."""
    pending = list(session.info.get(_PENDING, ()))
    changes = {kind: {k: list(v) for k, v in rows.items()} for kind, rows in session.info.get(_CHANGED, {}).items()}
    try:
        with session.begin_nested():
            yield
    except Exception:
        session.info[_PENDING], session.info[_CHANGED] = pending, changes
        raise


def _write(session: Session) -> None:
    for kind, rows in session.info.pop(_CHANGED, {}).items():
        _ANNOUNCERS[kind](session, rows)
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    last = session.execute(_NUMBER_EVENTS, {"count": len(pending)}).scalar_one()
    now: datetime = utcnow()
    first = last - len(pending) + 1
    rows = [
        {"seq": first + i, "type": t, "audience": a, "operator_id": op, "at": now, "payload": payload}
        for i, (t, a, op, payload) in enumerate(pending)
    ]
    session.execute(_INSERT_EVENTS, rows)
    if session.bind.dialect.name == "postgresql":
        session.execute(select(func.pg_notify(CHANNEL, str(last))))
    session.info[_WRITTEN] = rows


# Built once: every deciding transaction writes events.
_COUNTER = EventCounter.__table__
_NUMBER_EVENTS = (
    update(_COUNTER).where(_COUNTER.c.id == 1).values(seq=_COUNTER.c.seq + bindparam("count")).returning(_COUNTER.c.seq)
)
_INSERT_EVENTS = insert(RealtimeEvent.__table__)


# Both hooks also fire when a savepoint is released: only the real commit counts.
@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if not session.in_nested_transaction() and (_PENDING in session.info or _CHANGED in session.info):
        _write(session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    rows = session.info.pop(_WRITTEN, None)
    if rows is not None and (database := session.info.get("database")) is not None:
        database.events_committed(rows)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction (a savepoint's own are ``savepoint``'s job)
        for key in (_PENDING, _CHANGED, _WRITTEN):
            session.info.pop(key, None)
