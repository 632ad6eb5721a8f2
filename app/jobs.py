"""Periodic jobs: each package says which it runs (its ``scheduled.jobs``); ``main`` only assembles.

Every job runs on an interval, one instance at a time, missed runs folded into one: the work a
job does is taken from the database (timers are rows), so a late or skipped run loses nothing.
"""

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from apscheduler.schedulers.asyncio import AsyncIOScheduler


@dataclass(frozen=True)
class Job:
    id: str
    every_seconds: float
    run: Callable[..., Awaitable[object]]
    kwargs: dict = field(default_factory=dict)


class Scheduler(AsyncIOScheduler):
    """APScheduler's, with a stop that lets the jobs running at that moment finish (bounded):
    shutting it down cancels them mid-transaction, against a database about to be closed."""

    def __init__(self) -> None:
        super().__init__(timezone="UTC")
        self._running_jobs: set[asyncio.Task] = set()

    def add(self, job: Job) -> None:
        self.add_job(
            self._tracked(job.run),
            "interval",
            seconds=job.every_seconds,
            kwargs=job.kwargs,
            id=job.id,
            max_instances=1,
            coalesce=True,
        )

    async def stop(self, *, seconds: float) -> None:
        """No new runs; waits up to ``seconds`` for those under way, then shuts down."""
        self.pause()
        if self._running_jobs:
            await asyncio.wait(set(self._running_jobs), timeout=seconds)
        self.shutdown(wait=False)

    def _tracked(self, run: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[object]]:
        @functools.wraps(run)
        async def tracked(**kwargs) -> object:
            task = asyncio.current_task()
            self._running_jobs.add(task)
            try:
                return await run(**kwargs)
            finally:
                self._running_jobs.discard(task)

        return tracked


def scheduler_for(jobs: Iterable[Job]) -> Scheduler:
    scheduler = Scheduler()
    for job in jobs:
        scheduler.add(job)
    return scheduler
