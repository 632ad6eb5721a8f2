"""The recordings' audio on disk: fetched from the PBX whole, once, on first listening, then served
from ``RECORDING_CACHE_DIR`` (with Range) until unused for ``RECORDING_CACHE_DAYS`` or pushed out
by newer ones past ``RECORDING_CACHE_MAX_MB``; calls marked as examples keep theirs for good.

One download per recording across every process: a lease in its row (``fetching_until``) names
the downloader; the others wait for the file (or answer 503 when the PBX takes longer than
``PBX_REQUEST_TIMEOUT_SECONDS``).  A download goes to a temporary file renamed into place only
once whole: a cut one is never kept.  A file larger than the whole cache is served once from its
temporary file and not kept.  Each fetch spends the vendor's ``recording_budget``.
"""

import asyncio
import contextlib
import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.commands import ratelimit
from app.database import ROW_LOCK, Database, utcnow
from app.recordings.models import CallExample, Recording
from app.settings import Settings
from schemas.pbx_events import RecordingState
from telephony.recordings import (
    RecordingMissing,
    RecordingRef,
    RecordingRefused,
    RecordingSource,
    RecordingUnavailable,
)
from telephony.vendor import Vendor

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a downloader that died holds a recording this long at most
ACCESS_PRECISION = timedelta(minutes=1)  # last access is written at most this often (Range requests)
POLL_SECONDS = 0.05
CHUNK = 64 * 1024
DEFAULT_TYPE = "audio/mpeg"
STRAY_PART_AGE = timedelta(hours=1)


class Unavailable(Exception):
    """The PBX could not hand the file over in time: 503, ask again after ``retry_after`` seconds."""

    def __init__(self, reason: str, retry_after: int = 5) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Gone(Exception):
    """The PBX has no such file: the recording is now ``not_stored``."""


class Refused(Exception):
    """Its link leads to a host callfunnel does not fetch from."""


@dataclass(frozen=True)
class Audio:
    path: Path
    content_type: str
    temporary: bool = False  # larger than the cache: delete once served


@dataclass(frozen=True)
class _Step:
    """What one look at a recording's row decided."""

    action: str  # cached | claim | download | wait
    content_type: str | None = None
    reason: str = "the recording is being fetched by another request"
    wait_seconds: float = POLL_SECONDS  # before looking again
    ref: RecordingRef | None = None
    vendor: str | None = None


class RecordingCache:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        vendors: dict[str, Vendor],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.db = db
        self.dir = Path(settings.recording_cache_dir)
        self.max_bytes = settings.recording_cache_max_mb * 1024 * 1024
        self.max_age = timedelta(days=settings.recording_cache_days)
        self.timeout = settings.pbx_request_timeout_seconds
        self._sources: dict[str, RecordingSource] = {
            name: source for name, vendor in vendors.items() if (source := vendor.recording_source(transport))
        }
        self._budgets = {name: vendor.recording_budget for name, vendor in vendors.items() if vendor.recording_budget}

    def path(self, recording_id: int) -> Path:
        return file_path(self.dir, recording_id)

    async def audio(self, recording_id: int) -> Audio:
        """The recording's file on disk, fetched first if need be; raises Unavailable, Gone or Refused."""
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        deadline = time.monotonic() + self.timeout
        while True:
            step = await self.db.read(lambda s: _seen(s, recording_id, now=utcnow()))
            if step.action == "claim" or (step.action == "cached" and not self.path(recording_id).exists()):
                step = await self.db.run(lambda s: _claim(s, recording_id, now=utcnow(), budgets=self._budgets))
            if step.action == "cached":
                if self.path(recording_id).exists():
                    return Audio(self.path(recording_id), step.content_type or DEFAULT_TYPE)
                await self.db.run(lambda s: _forget(s, recording_id))  # removed by hand: fetch it again
                continue
            if step.action == "download":
                return await self._download(recording_id, step)
            if time.monotonic() + step.wait_seconds > deadline:
                raise Unavailable(step.reason, retry_after=max(1, round(step.wait_seconds)))
            await asyncio.sleep(step.wait_seconds)

    async def _download(self, recording_id: int, step: _Step) -> Audio:
        source = self._sources.get(step.vendor)
        part = self.dir / f".{recording_id}.{secrets.token_hex(4)}.part"
        try:
            if source is None:
                raise RecordingUnavailable(f"{step.vendor}'s API is not configured")
            content_type, size = await _fetch(source, step.ref, part, timeout=self.timeout)
        except RecordingMissing as exc:
            part.unlink(missing_ok=True)
            await self.db.run(lambda s: _not_stored(s, recording_id))
            log.warning("recording %s: the PBX has no such file (%s)", recording_id, exc)
            raise Gone() from exc
        except RecordingRefused as exc:
            part.unlink(missing_ok=True)
            await self.db.run(lambda s: _release(s, recording_id))
            log.warning("recording %s: %s", recording_id, exc)
            raise Refused(str(exc)) from exc
        except (RecordingUnavailable, httpx.TransportError, TimeoutError) as exc:
            part.unlink(missing_ok=True)
            await self.db.run(lambda s: _release(s, recording_id))
            log.warning("recording %s: the PBX did not hand it over: %s", recording_id, type(exc).__name__)
            raise Unavailable(str(exc)) from exc
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        if size > self.max_bytes:
            await self.db.run(lambda s: _release(s, recording_id))
            return Audio(part, content_type, temporary=True)
        os.replace(part, self.path(recording_id))
        await self.db.run(lambda s: _cached(s, recording_id, size=size, content_type=content_type, now=utcnow()))
        return Audio(self.path(recording_id), content_type)

    async def evict(self) -> int:
        """Removes files unused for ``RECORDING_CACHE_DAYS``, then the least recently used while the
        cache is over ``RECORDING_CACHE_MAX_MB``; examples' files stay.  Returns how many went."""
        now = utcnow()
        doomed = await self.db.run(lambda s: _evict(s, now=now, max_age=self.max_age, max_bytes=self.max_bytes))
        for recording_id in doomed:
            self.path(recording_id).unlink(missing_ok=True)
        if self.dir.exists():
            for part in self.dir.glob(".*.part"):  # left by a process that died mid-download
                if part.stat().st_mtime < time.time() - STRAY_PART_AGE.total_seconds():
                    part.unlink(missing_ok=True)
        if doomed:
            log.info("%d recording(s) removed from the cache", len(doomed))
        return len(doomed)

    async def close(self) -> None:
        for source in self._sources.values():
            await source.close()


def file_path(directory: Path, recording_id: int) -> Path:
    return directory / f"{recording_id}.audio"


async def _fetch(source: RecordingSource, ref: RecordingRef, part: Path, *, timeout: float) -> tuple[str, int]:
    """Writes the file to ``part``; the PBX gets ``timeout`` to start sending it and for each piece."""
    size = 0
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        async with contextlib.AsyncExitStack() as stack:
            async with asyncio.timeout(timeout):
                response = await stack.enter_async_context(source.open(ref))
            content_type = response.headers.get("content-type", DEFAULT_TYPE).split(";")[0].strip()[:64]
            pieces = response.aiter_bytes(CHUNK)
            while True:
                async with asyncio.timeout(timeout):
                    chunk = await anext(pieces, None)
                if chunk is None:
                    break
                file.write(chunk)
                size += len(chunk)
    return content_type or DEFAULT_TYPE, size


def _seen(session: Session, recording_id: int, *, now: datetime) -> _Step:
    """A look without writing: cached (and its last access recent), being fetched, or to claim."""
    row = session.get(Recording, recording_id)
    if row.cached_bytes is not None and row.last_access_at is not None and row.last_access_at > now - ACCESS_PRECISION:
        return _Step("cached", row.content_type)
    if row.cached_bytes is None and row.fetching_until is not None and row.fetching_until > now:
        return _Step("wait")
    return _Step("claim")


def _claim(session: Session, recording_id: int, *, now: datetime, budgets: dict) -> _Step:
    """Cached (its last access noted), or the download is ours (within the vendor's budget), or wait."""
    row = session.get(Recording, recording_id, with_for_update=ROW_LOCK)
    if row.cached_bytes is not None:
        if row.last_access_at is None or row.last_access_at <= now - ACCESS_PRECISION:
            row.last_access_at = now
        return _Step("cached", row.content_type)
    if row.fetching_until is not None and row.fetching_until > now:
        return _Step("wait")
    budget = budgets.get(row.vendor)
    if budget and not ratelimit.acquire(session=session, key=f"{row.vendor}:{budget[0]}", interval=budget[1], now=now):
        return _Step("wait", reason="over the PBX's rate budget", wait_seconds=budget[1].total_seconds())
    row.fetching_until = now + LEASE
    return _Step("download", ref=RecordingRef(row.external_id, row.url), vendor=row.vendor)


def _cached(session: Session, recording_id: int, *, size: int, content_type: str, now: datetime) -> None:
    session.execute(
        update(Recording)
        .where(Recording.id == recording_id)
        .values(cached_bytes=size, content_type=content_type, last_access_at=now, fetching_until=None)
    )


def _release(session: Session, recording_id: int) -> None:
    session.execute(update(Recording).where(Recording.id == recording_id).values(fetching_until=None))


def _forget(session: Session, recording_id: int) -> None:
    session.execute(update(Recording).where(Recording.id == recording_id).values(cached_bytes=None))


def _not_stored(session: Session, recording_id: int) -> None:
    session.execute(
        update(Recording)
        .where(Recording.id == recording_id)
        .values(state=RecordingState.not_stored, fetching_until=None, cached_bytes=None)
    )


def _evict(session: Session, *, now: datetime, max_age: timedelta, max_bytes: int) -> list[int]:
    kept = select(CallExample.call_id)
    cached = (
        select(Recording.id, Recording.cached_bytes, Recording.last_access_at)
        .where(Recording.cached_bytes.is_not(None), Recording.call_id.not_in(kept))
        .order_by(Recording.last_access_at, Recording.id)
    )
    rows = session.execute(cached).all()
    total = sum(size for _, size, _ in rows)  # examples' files count toward no limit
    doomed = []
    for recording_id, size, last_access in rows:
        if (last_access is not None and last_access >= now - max_age) and total <= max_bytes:
            break
        doomed.append(recording_id)
        total -= size
    if doomed:
        session.execute(update(Recording).where(Recording.id.in_(doomed)).values(cached_bytes=None))
    return doomed
