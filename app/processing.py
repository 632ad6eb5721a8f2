"""Turning stored webhooks into call state: in the serving process, or on its own (``callfunnel
process``, with ``PROCESSING=separate`` for the server) so the processing has a core of its own.

The server stores and acknowledges each webhook and answers routing decisions; the processor
applies what was stored.  In one process both share one interpreter (one core's worth of Python);
as two processes on one database, SQLite's lock (or PostgreSQL's row locks) keeps their
transactions apart as it keeps several workers' apart, and the live events the processor commits
reach the server's sockets through the event bus (at its poll on SQLite: ``EVENT_POLL_SECONDS``).
"""

import asyncio
import logging
import signal

from app import instruments
from app.database import Database
from app.flows.call_events import CallPolicy
from app.inbox.processor import InboxProcessor
from app.jobs import scheduler_for
from app.log_format import configure_logging
from app.migrations import upgrade_to_head_async
from app.pbx.events import inbox_handler
from app.reports import scheduled as reports_scheduled
from app.settings import Settings
from telephony import registry

log = logging.getLogger(__name__)

DRAIN_SECONDS = 5  # at a stop: for the jobs under way, then for processing what was stored
# A separate processor's batches are counted in webhooks: at most SEPARATE_BATCH_ROWS (and a server's
# own 0.05 s).  Each batch is what an acknowledgement may wait for, and between two of them the
# server takes its turn at the write lock: a batch must carry enough rows to pay for that turn.
# (bench/ingest.py, separate, side by side: 0.03 s batches held MANGO's acknowledgements to 24-28 %
# of the floor; 50 rows, some 23 ms of Zadarma's processing and 10-15 ms of MANGO's, take them to
# 31-33 % with the processing keeping up at 80 % of that; Zadarma's acknowledgements 20-21 -> 20-25 %,
# its processing keeping up at 60-70 % of that instead of 80 %.  Tried: 0.015 s, Zadarma's further
# behind; 40 rows, MANGO's processing behind at 80 %; 60 rows, MANGO 30-31 %.)
# In one process shorter batches would starve the processing under a flood (the acknowledgements
# go first, on the same core).
SEPARATE_BATCH_ROWS = 50


async def drain(processor: InboxProcessor) -> None:
    """What was stored is processed before a stop, for at most ``DRAIN_SECONDS``."""
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            await processor.drain()
    except TimeoutError:
        log.warning("stopping with webhooks still to process: the next start processes them")
    except Exception:
        log.exception("processing at stop failed: the next start processes what is left")


async def process_until_stopped(settings: Settings, *, poll_seconds: float) -> None:
    """Processes what the server stores, looking every ``poll_seconds`` (the server's wake-ups do
    not cross processes), until SIGTERM or SIGINT; then what is stored, as a server's stop does.
    The calls report's rollups are kept here too: they follow the calls, and on the server their
    transactions held the acknowledgements (a quarter of its writer's time under MANGO load)."""
    configure_logging(settings.log_level, settings.log_format)
    # Nothing serves this process's /metrics, so it counts nothing: the calls, offers and the
    # processing lag counted here would reach no scrape.  The server's /metrics reads the backlog
    # and the oldest waiting webhook's age from the database.
    instruments.enable(False)
    await upgrade_to_head_async(settings.database_url)
    db = Database(settings.database_url)
    handler = inbox_handler(CallPolicy.from_settings(settings), registry.vendors(settings))
    processor = InboxProcessor(db, handler, batch_size=SEPARATE_BATCH_ROWS, poll_seconds=poll_seconds)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    task = asyncio.create_task(processor.run(), name="inbox-processor")
    scheduler = scheduler_for(reports_scheduled.jobs(db=db, settings=settings))
    scheduler.start()
    log.info("processing webhooks stored on %s", db.engine.url.render_as_string(hide_password=True))
    try:
        await stop.wait()
    finally:
        await scheduler.stop(seconds=DRAIN_SECONDS)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await drain(processor)
        await db.dispose()
        log.info("processing stopped")
