"""Which operators have a live panel, across processes.

Each open panel is a row that its process keeps fresh.  When an operator's last panel closes
(or its process stops refreshing it), the operator is marked ``panel_lost_at``: no call is
offered to them from then on, a ringing offer goes to the next candidate at once, and after
the grace period an operator still without a panel is logged out (``offline``).  Reopening a
panel within the grace period (a page reload, a Wi-Fi blip) keeps the operator's state.
Operators who never opened a panel (softphone and REST only) are not affected.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from app.database import ROW_LOCK
from app.dispatch import availability
from app.operators import state as operator_state
from app.operators.models import Operator, OperatorState
from app.realtime.models import Panel

DETACHED = ""  # the process of a panel whose server stopped: none
# Logged out after the grace period without a panel (ringing and on_call settle with their call).
_LOGGED_OUT_FROM = (OperatorState.available, OperatorState.wrap_up, OperatorState.break_)


def panel_opened(*, session: Session, panel_id: str, operator_id: int, process_id: str, now: datetime) -> None:
    _serialize(session, operator_id)
    session.add(Panel(id=panel_id, operator_id=operator_id, process_id=process_id, connected_at=now, seen_at=now))
    lost = session.execute(
        update(Operator)
        .where(Operator.user_id == operator_id, Operator.panel_lost_at.is_not(None))
        .values(panel_lost_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if lost:
        operator_state.operator_changed(session, operator_id)


def panel_closed(*, session: Session, panel_id: str, operator_id: int, now: datetime) -> None:
    _serialize(session, operator_id)
    session.execute(delete(Panel).where(Panel.id == panel_id))
    if not _has_panel(session=session, operator_id=operator_id):
        _lose(session=session, operator_id=operator_id, now=now)


def panel_detached(*, session: Session, panel_id: str) -> None:
    """The panel's connection ended with its server stopping: the row stays (the operator keeps a
    ringing offer and their state while the panel reconnects elsewhere) but no process refreshes
    it any more, so it goes stale and is swept after the grace period if nobody comes back."""
    session.execute(update(Panel).where(Panel.id == panel_id).values(process_id=DETACHED))


def refresh(*, session: Session, process_id: str, now: datetime) -> None:
    """The process's panels are alive."""
    session.execute(update(Panel).where(Panel.process_id == process_id).values(seen_at=now))


def sweep(*, session: Session, now: datetime, grace: timedelta) -> dict[str, int]:
    """Panels of processes that stopped refreshing them close; operators past the grace period
    without a panel go offline."""
    stale = session.execute(
        select(Panel.id, Panel.operator_id)
        .where(Panel.seen_at < now - grace)
        .with_for_update(skip_locked=True, **ROW_LOCK)
    ).all()
    for panel_id, operator_id in stale:
        panel_closed(session=session, panel_id=panel_id, operator_id=operator_id, now=now)
    gone = session.execute(
        select(Operator.user_id, Operator.state).where(
            Operator.panel_lost_at <= now - grace, Operator.state.in_(_LOGGED_OUT_FROM)
        )
    ).all()
    for operator_id, state in gone:
        if operator_state.set_state(
            session=session, operator_id=operator_id, state=OperatorState.offline, expected=state, now=now
        ):
            _forget_loss(session=session, operator_id=operator_id)
    return {"panels_expired": len(stale), "operators_logged_out": len(gone)}


def _lose(*, session: Session, operator_id: int, now: datetime) -> None:
    ringing = availability.lock_ringing_offers(session=session, operator_id=operator_id)
    marked = session.execute(
        update(Operator)
        .where(Operator.user_id == operator_id, Operator.panel_lost_at.is_(None))
        .where(Operator.state != OperatorState.offline)
        .values(panel_lost_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if marked:
        operator_state.operator_changed(session, operator_id)
        availability.hand_on(session=session, offers=ringing, reason="panel_lost", now=now)


def _forget_loss(*, session: Session, operator_id: int) -> None:
    session.execute(
        update(Operator)
        .where(Operator.user_id == operator_id)
        .values(panel_lost_at=None)
        .execution_options(synchronize_session=False)
    )


def _serialize(session: Session, operator_id: int) -> None:
    """One presence change per operator at a time: a panel reopened while the old one is closing
    must be seen by the close (PostgreSQL; SQLite has one writer)."""
    if session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('panel'), :id)"), {"id": operator_id})


def _has_panel(*, session: Session, operator_id: int) -> bool:
    return session.execute(select(Panel.id).where(Panel.operator_id == operator_id).limit(1)).first() is not None
