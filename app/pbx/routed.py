"""Webhooks a PBX waits on for a routing decision: stored, applied and answered in one transaction.

The inbox row, the call's new state, the operators' claims and the reply text commit together,
so a redelivered webhook finds the reply already given and gets it again, never a second
decision.  A webhook with nothing to decide — its call is new and rings a line with no queue —
is answered with the PBX's own plan after a read (``plan_without_queue``) and stored with that
reply like any other webhook, its events applied by the inbox processor: it does not hold the
one writer for a transaction of its own.

If deciding fails, or cannot be done within ``SYNC_DECISION_DEADLINE_MS`` (a PBX waits a few
seconds at most, then follows its own plan without us), the decision is rolled back whole
and the PBX is told to go on with its own plan: the raw request is stored with that reply for the
inbox processor, which records the call as the PBX's to route (``route_rule`` ``pbx``, the reason
on its timeline), so it is still followed to its outcome and its callback, and offered to nobody
the PBX will not ring.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session
from starlette.datastructures import State

from app import instruments
from app.batching import Batcher
from app.database import Database, insert_ignoring_duplicates, utcnow
from app.dispatch.decision import decide_for_pbx, plan_without_queue
from app.events import outbox
from app.flows import call_events
from app.inbox.models import InboxItem, body_columns
from app.inbox.writer import Stored
from schemas.routing import RouteAction, RouteDecision
from telephony.vendor import Reading, Vendor, Webhook

log = logging.getLogger(__name__)

T = TypeVar("T")


async def store_and_route(
    request: Request, *, vendor: Vendor, webhook: Webhook, reading: Reading, headers: dict, remote: str | None
) -> tuple[Stored, str]:
    """Returns the stored row and the reply body for the PBX."""
    state = request.app.state
    seconds = state.settings.sync_decision_deadline_ms / 1000
    deadline = time.monotonic() + seconds  # (the read below counts: under overload it waits too)
    if not vendor.joins_calls_by_caller and not state.decision_hint.goes_to_decision(reading.events):
        read = partial(
            plan_without_queue,
            vendor=vendor.name,
            events=reading.events,
            region=state.call_policy.region,
            hint=state.decision_hint,
        )
        try:
            plan = await asyncio.wait_for(state.db.read(read), seconds)
        except TimeoutError:  # (no time is left to decide: the PBX's own plan, below)
            plan = None
        except Exception:  # (the decision below has its own way out: never a 5xx for a failed read)
            log.exception("%s webhook %s: reading whether there is a decision to make failed", vendor.name, reading.key)
            plan = None
        if plan is not None:
            return await _store_answered(
                state, vendor=vendor, webhook=webhook, reading=reading, plan=plan, headers=headers, remote=remote
            )
    key = reading.key
    row = {
        "vendor": vendor.name,
        "path": webhook.path,
        "dedup_key": key,
        **body_columns(webhook.body),
        "headers": headers,
        "remote_addr": remote,
        "received_at": utcnow(),
        "attempts": 0,
    }

    abandoned = threading.Event()  # set at the deadline: the work, wherever it is, rolls back

    def work(session: Session) -> tuple[Stored, str]:
        left = deadline - time.monotonic()
        if abandoned.is_set() or left <= 0:  # (it waited its turn for the writer past the deadline)
            raise DecisionAbandoned
        if session.bind.dialect.name == "postgresql":  # no lock wait runs past the deadline either
            session.execute(text(f"SET LOCAL lock_timeout = {max(1, int(left * 1000))}"))
        insert = insert_ignoring_duplicates(session, _INBOX, index_elements=["vendor", "dedup_key"], returning=("id",))
        row_id = session.execute(insert, [row]).scalar()
        if row_id is None:
            earlier_id, reply = session.execute(
                select(InboxItem.id, InboxItem.reply).where(InboxItem.vendor == vendor.name, InboxItem.dedup_key == key)
            ).one()
            return Stored(earlier_id, duplicate=True), reply if reply is not None else _proceed(vendor)
        now = utcnow()
        calls = call_events.apply_events(
            session=session, vendor=vendor.name, events=reading.events, policy=state.call_policy
        )
        decision = decide_for_pbx(
            session=session, call=calls[0], now=now, max_targets=vendor.max_targets, asks_again=vendor.asks_again
        )
        reply = vendor.render_route(decision)
        session.execute(_ANSWERED, {"row_id": row_id, "now": now, "reply_text": reply})
        instruments.observe(session, instruments.PROCESSING_LAG, (now - row["received_at"]).total_seconds())
        if abandoned.is_set():  # decided, but too late: nothing of it commits
            raise DecisionAbandoned
        log.info(
            "call %s (%s): %s",
            calls[0].id,
            calls[0].external_id,
            decision.model_dump(exclude_none=True),
            extra={"call_id": calls[0].id, "inbox_id": row_id, "vendor": vendor.name},
        )
        instruments.count(session, instruments.ROUTING_DECISIONS, vendor.name, "decided")
        return Stored(row_id, duplicate=False), reply

    deciding = asyncio.ensure_future(state.routing_decisions.submit(work))
    try:
        try:
            decided = await asyncio.wait_for(asyncio.shield(deciding), deadline - time.monotonic())
        except TimeoutError:
            abandoned.set()
            decided = await deciding  # (committed just before the deadline: that decision stands)
        state.decision_hint.note_decided(event.call_key for event in reading.events)
        return decided
    except DecisionAbandoned:
        log.warning("%s webhook %s: no decision within the deadline; the PBX goes on with its plan", vendor.name, key)
        reason, result = "decision_deadline", "deadline"
    except Exception:
        log.exception("%s webhook %s: routing failed; stored for the inbox processor", vendor.name, key)
        reason, result = "decision_failed", "failed"
    instruments.add(instruments.ROUTING_DECISIONS, vendor.name, result)
    reply = _proceed(vendor)
    stored = await state.inbox_writer.store(
        **{k: row[k] for k in ("vendor", "path", "headers", "remote_addr")},
        body=webhook.body,
        dedup_key=key,
        reply=reply,
        fallback_reason=reason,
    )
    return stored, reply


async def _store_answered(
    state: State,
    *,
    vendor: Vendor,
    webhook: Webhook,
    reading: Reading,
    plan: RouteDecision,
    headers: dict,
    remote: str | None,
) -> tuple[Stored, str]:
    """Stores a routing webhook already answered (``plan``) for the inbox processor; a redelivery
    gets the reply its first delivery got."""
    reply = vendor.render_route(plan)
    state.readings.keep((vendor.name, reading.key), reading.events)
    stored = await state.inbox_writer.store(
        vendor=vendor.name,
        path=webhook.path,
        dedup_key=reading.key,
        body=webhook.body,
        headers=headers,
        remote_addr=remote,
        reply=reply,
    )
    if stored.duplicate:
        reply = await state.db.read(partial(_reply_of, row_id=stored.id)) or reply
    log.info("%s webhook %s: a new call on a line with no queue: %s", vendor.name, reading.key, plan.action.value)
    instruments.add(instruments.ROUTING_DECISIONS, vendor.name, "decided")
    return stored, reply


def _reply_of(session: Session, *, row_id: int) -> str | None:
    return session.execute(select(InboxItem.reply).where(InboxItem.id == row_id)).scalar()


_INBOX = InboxItem.__table__
_ANSWERED = (  # (built once: see app/database.py)
    update(_INBOX)
    .where(_INBOX.c.id == bindparam("row_id"))
    .values(handled_at=bindparam("now"), reply=bindparam("reply_text"))
)


class RoutingDecisions:
    """On SQLite, routing decisions that arrive together share one transaction (``app/batching.py``),
    each in a savepoint of its own (one alone needs none): one that fails or misses its deadline
    rolls back alone.  A routing webhook pays for its decision, not for a transaction (and a
    commit) of its own on the one writer.  PostgreSQL decides them side by side, each in its own
    transaction: batched, each would hold its locks until the batch commits, and the others' lock
    waits would run out."""

    def __init__(self, db: Database, *, max_batch: int = 50) -> None:
        self._db = db
        self._batcher: Batcher[Callable[[Session], Any], Any] = Batcher(
            self._decide, max_batch=max_batch, name="routing decisions"
        )

    async def submit(self, work: Callable[[Session], T]) -> T:
        if not self._db.is_sqlite:
            return await self._db.run(work)
        return await self._batcher.submit(work)

    async def close(self) -> None:
        await self._batcher.close()

    async def _decide(self, works: list[Callable[[Session], Any]]) -> list[Any]:
        if len(works) == 1:  # (its transaction is its savepoint: a failure rolls back the whole)
            return [await _alone(self._db, works[0])]
        return await self._db.run(lambda session: [_each(session, work) for work in works], urgent=True)


async def _alone(db: Database, work: Callable[[Session], T]) -> T | Exception:
    """A lone decision's failure (or its deadline) is its own request's to answer, as ``_each``
    hands it back: not a failed batch's (logged as an error)."""
    try:
        return await db.run(work, urgent=True)
    except Exception as exc:
        return exc


def _each(session: Session, work: Callable[[Session], T]) -> T | Exception:
    try:
        with outbox.savepoint(session):
            return work(session)
    except Exception as exc:  # (its own savepoint is rolled back; the others stand)
        return exc


class DecisionAbandoned(Exception):
    """The routing decision missed its deadline and was rolled back."""


def _proceed(vendor: Vendor) -> str:
    return vendor.render_route(RouteDecision(action=RouteAction.proceed))
