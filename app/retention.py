"""Keeping the database's size bounded: old rows go in small batches, each in its own
transaction, so that pruning never holds SQLite's single writer (or PostgreSQL's locks) for long.

Each package prunes its own tables (its ``scheduled.jobs``); what is never pruned: calls, their
legs and timelines, queue entries (the calls report reads them), callbacks, contacts, deals,
touches, tasks.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.database import Database

BATCH = 1000
EVERY_SECONDS = 3600


def written_before(
    id_column: InstrumentedAttribute, time_column: InstrumentedAttribute, before: datetime
) -> ColumnElement:
    """The rows of a table whose ids grow with time written before ``before``, found without an
    index on the time: the rows before the first one written since are older.  Finding that one
    reads only the old rows, from the oldest (a batch that looked for old rows by their time alone
    read the whole table once none were left — every hour, on the writer).  A row written a moment
    out of id order waits for the next run."""
    first_young = select(id_column).where(time_column >= before).order_by(id_column).limit(1)
    newest = select(func.max(id_column))
    # (not correlated: the statement that uses it reads the same table)
    bound = func.coalesce(first_young.correlate(None).scalar_subquery(), newest.correlate(None).scalar_subquery() + 1)
    return id_column < bound


async def in_batches(db: Database, delete_batch: Callable[[Session], int]) -> int:
    """Runs ``delete_batch`` (which deletes at most ``BATCH`` rows) until a batch comes back short."""
    total = 0
    while True:
        deleted = await db.run(delete_batch)
        total += deleted
        if deleted < BATCH:
            return total
