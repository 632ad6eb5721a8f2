"""Group commit: requests that arrive together share one transaction.

Each request hands in an item and waits; one flusher task takes whatever has queued up (up to
``max_batch``), runs the batch, and wakes every waiting request with its own result — or its own
exception, so one failed item fails only its request.  While a batch is being written the next
one gathers, so under load the database sees one commit per batch instead of one per request.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batcher(Generic[Item, Result]):
    def __init__(
        self,
        run_batch: Callable[[list[Item]], Awaitable[list[Result | Exception]]],
        *,
        max_batch: int,
        name: str,
    ) -> None:
        """``run_batch`` returns one result (or exception) per item, in order."""
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._name = name
        self._pending: list[tuple[Item, asyncio.Future]] = []
        self._flusher: asyncio.Task | None = None

    async def submit(self, item: Item) -> Result:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._flusher is None or self._flusher.done():
            # A task, not the caller, flushes: a client hanging up must not strand the batch.
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def close(self) -> None:
        if self._flusher is not None:
            await self._flusher

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            try:
                results = await self._run_batch([item for item, _ in batch])
            except Exception as exc:  # every waiting request gets the error
                log.exception("%s: a batch of %d failed", self._name, len(batch))
                results = [exc] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)
