"""Storing webhooks before they are acknowledged, with group commit (``app/batching.py``).

A request is answered 2xx only after its row is durable, yet the database sees one commit per
batch instead of one per webhook (SQLite's single writer would otherwise cap intake).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.batching import Batcher
from app.database import Database, insert_ignoring_duplicates, utcnow
from app.inbox.models import InboxItem, body_columns


@dataclass(frozen=True)
class Stored:
    id: int
    duplicate: bool


class InboxWriter:
    def __init__(self, db: Database, *, on_stored: Callable[[], None] = lambda: None, max_batch: int = 500) -> None:
        self._db = db
        self._on_stored = on_stored
        self._batcher: Batcher[dict, Stored] = Batcher(self._write, max_batch=max_batch, name="inbox")

    async def store(
        self,
        *,
        vendor: str,
        path: str,
        dedup_key: str,
        body: str,
        headers: dict,
        remote_addr: str | None,
        error: str | None = None,
        reply: str | None = None,
        fallback_reason: str | None = None,
        received_at: datetime | None = None,
    ) -> Stored:
        """Commits the row (or finds the earlier delivery of the same notification) and returns its id;
        ``reply`` and ``fallback_reason``: a routing webhook answered with the PBX's own plan;
        ``received_at``: the moment the intake read it (default: now)."""
        row = {
            "vendor": vendor,
            "path": path,
            "dedup_key": dedup_key,
            **body_columns(body),
            "headers": headers,
            "remote_addr": remote_addr,
            "received_at": received_at or utcnow(),
            "error": error,
            "attempts": 0,
            "reply": reply,
            "fallback_reason": fallback_reason,
        }
        return await self._batcher.submit(row)

    async def close(self) -> None:
        await self._batcher.close()

    async def _write(self, rows: list[dict]) -> list[Stored]:
        stored = await self._db.run(lambda session: _store_rows(session, rows), urgent=True)
        self._on_stored()
        return stored


def _store_rows(session: Session, rows: list[dict]) -> list[Stored]:
    """Two statements per batch at most, whatever its size: insert every new key (a key already
    stored, by an earlier delivery or a concurrent process, is skipped), then look up the skipped
    ones; each request is told its row and whether it was a duplicate."""
    distinct: dict[tuple[str, str], dict] = {}
    for row in rows:
        distinct.setdefault((row["vendor"], row["dedup_key"]), row)
    insert = insert_ignoring_duplicates(
        session, InboxItem.__table__, index_elements=["vendor", "dedup_key"], returning=("id", "vendor", "dedup_key")
    )
    returned = session.execute(insert, list(distinct.values()))
    known = {(vendor, dedup_key): row_id for row_id, vendor, dedup_key in returned}
    inserted = set(known)
    if len(inserted) < len(distinct):
        known.update(_ids_of(session, set(distinct) - inserted))
    results, acknowledged = [], set()
    for row in rows:
        key = (row["vendor"], row["dedup_key"])
        results.append(Stored(known[key], duplicate=key not in inserted or key in acknowledged))
        acknowledged.add(key)
    return results


def _ids_of(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    by_vendor: dict[str, list[str]] = {}
    for vendor, dedup_key in keys:
        by_vendor.setdefault(vendor, []).append(dedup_key)
    for vendor, dedup_keys in by_vendor.items():
        query = select(InboxItem.id, InboxItem.dedup_key).where(
            InboxItem.vendor == vendor, InboxItem.dedup_key.in_(dedup_keys)
        )
        for row_id, dedup_key in session.execute(query):
            found[(vendor, dedup_key)] = row_id
    return found
