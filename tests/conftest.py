"""Fixtures: a migrated database per test (SQLite file, or a PostgreSQL database when
CALLFUNNEL_TEST_DATABASE_URL names a server), the real app with its lifespan, an HTTP client.
What tests share beside fixtures is in ``tests/support/``."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from app.auth.models import Role
from app.migrations import upgrade_to_head
from app.settings import Settings
from tests.support import log_secrets
from tests.support.app import POSTGRES_URL, TEMPLATE, Callfunnel, DatabaseCopies, pg_dsn, running, settings_for
from tests.support.pbx_api import FakePbxApis

_secrets = log_secrets.Watch()


def pytest_sessionstart(session) -> None:
    _secrets.start()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test whose captured output (stdout, stderr, log records) carries a secret fails."""
    report = (yield).get_result()
    if report.passed:
        phase = [content for name, content in report.sections if name.endswith(f" {report.when}")]
        leaks = _secrets.found_in("\n".join(phase))
        if leaks:
            report.outcome = "failed"
            report.longrepr = "a secret reached a log line:\n" + "\n".join(leaks)


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_server_logs(tmp_path_factory):
    """The live servers' logs (files under the run's temporary directory), read at the end of the run."""
    yield
    leaks = _secrets.found_in_files(tmp_path_factory.getbasetemp())
    assert not leaks, "a secret reached a server's log:\n" + "\n".join(leaks[:20])


@pytest.fixture(scope="session")
def template_database(tmp_path_factory) -> str:
    """A database migrated once; every test starts from a copy of it."""
    if POSTGRES_URL:

        async def recreate() -> None:
            conn = await asyncpg.connect(pg_dsn(POSTGRES_URL, "postgres"))
            await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            await conn.execute(f"CREATE DATABASE {TEMPLATE}")
            await conn.close()

        asyncio.run(recreate())
        url = make_url(POSTGRES_URL).set(database=TEMPLATE).render_as_string(hide_password=False)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('template') / 'template.db'}"
    upgrade_to_head(url)
    return url


@pytest.fixture
async def new_database(template_database: str, tmp_path: Path):
    """Makes fresh migrated databases for the test (several when a test compares two runs)."""
    copies = DatabaseCopies(template_database, tmp_path)
    yield copies.make
    await copies.drop_all()


@pytest.fixture
async def database_url(new_database) -> str:
    return await new_database()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return settings_for(database_url, recording_cache_dir=tmp_path / "recordings")


@pytest.fixture
async def cf(settings: Settings) -> AsyncIterator[Callfunnel]:
    async with running(settings) as instance:
        yield instance


@pytest.fixture
async def supervisor(cf: Callfunnel) -> dict:
    return await cf.user("sam", Role.supervisor)


@pytest.fixture
async def admin(cf: Callfunnel) -> dict:
    return await cf.user("ada", Role.admin)


@pytest.fixture
def fake_pbx():
    """Local fakes of the MANGO and Zadarma APIs (tests/support/pbx_api.py)."""
    return FakePbxApis()


@pytest.fixture
async def mango_cf(settings: Settings, fake_pbx) -> AsyncIterator[Callfunnel]:
    """The app with its MANGO API client pointed at the fake."""
    settings = settings.model_copy(update={"mango_api_url": "http://mango.fake/vpbx/"})
    async with running(settings, pbx_transport=fake_pbx.transport()) as instance:
        yield instance
