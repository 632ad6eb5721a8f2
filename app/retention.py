"""Keeping the database's size bounded: old rows go in small batches, each in its own
transaction, so that pruning never holds SQLite's single writer (or PostgreSQL's locks) for long.

Each package prunes its own tables (its ``scheduled.jobs``); what is never pruned: calls, their
legs and timelines, queue entries (the calls report reads them), callbacks, contacts, deals,
touches, tasks.
"""

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.database import Database

BATCH = 1000
EVERY_SECONDS = 3600


async def in_batches(db: Database, delete_batch: Callable[[Session], int]) -> int:
    """Runs ``delete_batch`` (which deletes at most ``BATCH`` rows) until a batch comes back short."""
    total = 0
    while True:
        deleted = await db.run(delete_batch)
        total += deleted
        if deleted < BATCH:
            return total
