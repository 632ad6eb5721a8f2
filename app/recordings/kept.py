"""The examples' audio goes with a backup: PBXs delete recordings after a time their tariff sets,
so the coaching library's files may exist nowhere else.  ``callfunnel db backup PATH`` copies them
into ``PATH.examples/`` (readable by its owner only); ``callfunnel db restore PATH`` puts them back
into ``RECORDING_CACHE_DIR``."""

import os
import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.recordings.cache import file_path
from app.recordings.models import CallExample, Recording


def folder_beside(copy: Path) -> Path:
    return copy.with_name(copy.name + ".examples")


def example_recordings(session: Session) -> list[int]:
    """Recordings of calls marked as examples whose audio is in the cache."""
    query = select(Recording.id).where(
        Recording.call_id.in_(select(CallExample.call_id)), Recording.cached_bytes.is_not(None)
    )
    return list(session.execute(query.order_by(Recording.id)).scalars())


def save(recording_ids: list[int], *, cache_dir: Path, folder: Path) -> int:
    """Copies the files into ``folder`` (what it held before is replaced); returns how many."""
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    saved = 0
    for recording_id in recording_ids:
        source = file_path(cache_dir, recording_id)
        if source.exists():
            shutil.copyfile(source, file_path(partial, recording_id))
            os.chmod(file_path(partial, recording_id), 0o600)
            saved += 1
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)
    return saved


def put_back(folder: Path, *, cache_dir: Path) -> int:
    if not folder.is_dir():
        return 0
    cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    restored = 0
    for file in folder.glob("*.audio"):
        shutil.copyfile(file, cache_dir / file.name)
        os.chmod(cache_dir / file.name, 0o600)
        restored += 1
    return restored
