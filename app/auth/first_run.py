"""The first start on an empty database creates an ``admin`` with a generated one-time password,
written to a file only its owner can read (never to a log), and to be changed at the first
sign-in.  Several workers starting together create it once: the insert that wins writes the file."""

import logging
import os
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import passwords
from app.auth.models import Role, User
from app.database import Database, insert_ignoring_duplicates, sqlite_file, utcnow
from app.settings import Settings

log = logging.getLogger(__name__)

ADMIN = "admin"
FILE_NAME = "callfunnel-admin-password.txt"


def password_file(settings: Settings) -> Path | None:
    """Where the password goes: ``ADMIN_PASSWORD_FILE``, else beside the SQLite file, else the
    working directory; None when the setting is empty (no first admin)."""
    if settings.admin_password_file is not None:
        return Path(settings.admin_password_file) if settings.admin_password_file else None
    if (database := sqlite_file(settings.database_url)) is not None:
        return Path(database).resolve().parent / FILE_NAME
    return Path.cwd() / FILE_NAME


async def create_first_admin(db: Database, settings: Settings) -> Path | None:
    """Creates the admin on an empty database; returns where its password was written, else None."""
    path = password_file(settings)
    if path is None or await db.read(lambda s: s.execute(select(User.id).limit(1)).first()) is not None:
        return None
    password = secrets.token_urlsafe(12)
    password_hash = await passwords.hashed(password)
    if not await db.run(lambda s: _insert_admin(s, password_hash)):
        return None  # another worker (or a user created meanwhile) got there first
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(password + "\n")
        os.chmod(path, 0o600)
    except OSError as exc:
        hint = "set the admin's password with `callfunnel user password admin`"
        log.error("first start: could not write %s (%s); %s", path, exc, hint)
        return None
    log.warning(
        "first start: user %r created; its one-time password is in %s (readable by its owner only): "
        "sign in at / and choose a new one",
        ADMIN,
        path,
    )
    return path


def _insert_admin(session: Session, password_hash: str) -> bool:
    if session.execute(select(User.id).limit(1)).first() is not None:
        return False
    insert = insert_ignoring_duplicates(session, User.__table__, index_elements=["name"])
    row = {
        "name": ADMIN,
        "role": Role.admin.value,
        "password_hash": password_hash,
        "must_change_password": True,
        "active": True,
        "created_at": utcnow(),
    }
    return session.execute(insert.returning(User.id), [row]).scalar() is not None
