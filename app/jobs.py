"""Periodic jobs: each package says which it runs (its ``scheduled.jobs``); ``main`` only assembles.

Every job runs on an interval, one instance at a time, missed runs folded into one: the work a
job does is taken from the database (timers are rows), so a late or skipped run loses nothing.
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from apscheduler.schedulers.asyncio import AsyncIOScheduler


@dataclass(frozen=True)
class Job:
    id: str
    every_seconds: float
    run: Callable[..., Awaitable[object]]
    kwargs: dict = field(default_factory=dict)


def scheduler_for(jobs: Iterable[Job]) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    for job in jobs:
        scheduler.add_job(
            job.run,
            "interval",
            seconds=job.every_seconds,
            kwargs=job.kwargs,
            id=job.id,
            max_instances=1,
            coalesce=True,
        )
    return scheduler
