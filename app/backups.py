"""Backing up and restoring the database.

SQLite: ``backup`` takes one consistent copy while the server runs — ``VACUUM INTO`` copies the
whole database in a single statement, where the step-wise backup API would start over on every
write — into a temporary file beside the target, readable by its owner only, renamed into place
when complete.  ``restore`` (server stopped) checks the copy, removes the live file's stale
``-wal``/``-shm`` and renames the copy into place.  PostgreSQL has its own tools: both say which.
"""

import contextlib
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class NotHere(Exception):
    """The database is not one this command handles; the message says what to run instead."""


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise NotHere(_postgres_advice(database_url))
    if not url.database or url.database == ":memory:":
        raise NotHere("an in-memory database has nothing to back up")
    return Path(url.database)


def backup(database_url: str, target: Path) -> int:
    """One consistent copy of the live database at ``target``; returns its size in bytes."""
    source = sqlite_path(database_url)
    target = target.resolve()
    descriptor, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(descriptor)  # an empty file, mode 0600: VACUUM INTO fills it
    try:
        with _connect(source) as connection:
            connection.execute("VACUUM INTO ?", (partial,))
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return target.stat().st_size


def restore(database_url: str, copy: Path) -> None:
    """Puts ``copy`` (a backup) in place of the database; the server must be stopped."""
    target = sqlite_path(database_url).resolve()
    with _connect(copy) as connection:
        verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise NotHere(f"{copy} is damaged: {verdict}")
        if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone():
            raise NotHere(f"{copy} is not a callfunnel database")
    descriptor, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(descriptor)
    try:
        shutil.copyfile(copy, partial)
        os.chmod(partial, 0o600)
        for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            stale.unlink(missing_ok=True)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def _connect(path: Path) -> contextlib.closing[sqlite3.Connection]:
    if not path.exists():
        raise NotHere(f"{path} does not exist")
    return contextlib.closing(sqlite3.connect(path, timeout=30, isolation_level=None))


def _postgres_advice(database_url: str) -> str:
    given = make_url(database_url)
    url = URL.create("postgresql", username=given.username, host=given.host, port=given.port, database=given.database)
    url = url.render_as_string(hide_password=False)  # it has none: the password stays out of the terminal
    return (
        "PostgreSQL is backed up with its own tools (the password from PGPASSWORD or ~/.pgpass), e.g.\n"
        f"  pg_dump --format=custom --file callfunnel.dump '{url}'\n"
        f"  pg_restore --clean --if-exists --dbname '{url}' callfunnel.dump"
    )
