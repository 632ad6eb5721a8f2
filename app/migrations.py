"""Applying Alembic revisions: at start-up, from the CLI and in tests."""

import asyncio
from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.orm import Session

from alembic import command
from app.database import make_sqlite_file_private

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    make_sqlite_file_private(database_url)
    command.upgrade(alembic_config(database_url), "head")


async def upgrade_to_head_async(database_url: str) -> None:
    # env.py runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade_to_head, database_url)


@cache
def head() -> str:
    """The newest revision this code knows."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def at_head(session: Session) -> str | None:
    """None when the database is at ``head()``; otherwise what it is at."""
    current = session.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    return None if current == head() else f"at {current}, the code needs {head()}"
