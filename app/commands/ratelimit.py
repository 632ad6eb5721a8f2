"""A rate limit kept in the database, so every process spends one budget (a vendor's ``route_budget``)."""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.commands.models import RateBudget
from app.database import insert_ignoring_duplicates


def acquire(*, session: Session, key: str, interval: timedelta | None, now: datetime) -> bool:
    """Takes one slot under ``key`` (e.g. ``mango:route``) if the budget allows it now: one
    conditional UPDATE, checked by row count.  Without an interval, always allowed."""
    if interval is None:
        return True
    session.execute(
        insert_ignoring_duplicates(session, RateBudget.__table__, index_elements=["key"]),
        [{"key": key, "next_free_at": now - interval}],
    )
    taken = session.execute(
        update(RateBudget)
        .where(RateBudget.key == key, RateBudget.next_free_at <= now)
        .values(next_free_at=now + interval)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def hold(*, session: Session, key: str, until: datetime) -> None:
    """Nothing under ``key`` before ``until`` (a vendor's pause after a refusal), all processes."""
    session.execute(
        insert_ignoring_duplicates(session, RateBudget.__table__, index_elements=["key"]),
        [{"key": key, "next_free_at": until}],
    )
    session.execute(
        update(RateBudget)
        .where(RateBudget.key == key, RateBudget.next_free_at < until)
        .values(next_free_at=until)
        .execution_options(synchronize_session=False)
    )


def held_until(*, session: Session, key: str, now: datetime) -> datetime | None:
    """The end of a hold on ``key`` still running at ``now``, or None."""
    until = session.execute(select(RateBudget.next_free_at).where(RateBudget.key == key)).scalar()
    return until if until is not None and until > now else None
