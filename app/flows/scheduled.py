"""Periodic work on calls: finalizing the ones the PBX never finished."""

import logging
from datetime import datetime, timedelta

from app.database import Database, utcnow
from app.flows import call_events
from app.jobs import Job
from app.settings import Settings

log = logging.getLogger(__name__)

SWEEP_BATCH = 100


async def finalize_stale_calls(
    *, db: Database, settings: Settings, policy: call_events.CallPolicy, now: datetime | None = None
) -> int:
    """Finalizes, in small transactions, every call past its deadline; returns how many."""
    now = now or utcnow()
    total = 0
    while True:
        calls = await db.run(
            lambda session: call_events.finalize_stale(
                session=session,
                policy=policy,
                now=now,
                limit=SWEEP_BATCH,
                legs_ended_for=timedelta(seconds=settings.finalize_after_legs_ended_seconds),
                silent_for=timedelta(seconds=settings.finalize_after_silence_seconds),
            )
        )
        total += len(calls)
        if len(calls) < SWEEP_BATCH:
            return total


def jobs(*, db: Database, settings: Settings, policy: call_events.CallPolicy) -> list[Job]:
    return [
        Job(
            "finalize-stale-calls",
            settings.sweep_interval_seconds,
            finalize_stale_calls,
            {"db": db, "settings": settings, "policy": policy},
        )
    ]
