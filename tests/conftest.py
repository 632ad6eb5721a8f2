"""Fixtures: a migrated database per test (SQLite file, or a PostgreSQL database when
CALLFUNNEL_TEST_DATABASE_URL names a server), the real app with its lifespan, an HTTP client."""

import asyncio
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.auth import service as auth_service
from app.auth.models import Role
from app.inbox.models import InboxItem
from app.main import create_app
from app.migrations import upgrade_to_head
from app.settings import Settings

# The signed PBX sample sequences (tests/samples/README.md); CALLFUNNEL_SAMPLES_DIR replays another set.
SAMPLES = Path(os.environ.get("CALLFUNNEL_SAMPLES_DIR", Path(__file__).resolve().parent / "samples"))
MANGO_KEY, MANGO_SALT = "test-vpbx-api-key", "test-vpbx-api-salt"
GENERIC_SECRET = "test-generic-secret"
ZADARMA_SECRET = "test-zadarma-secret"
POSTGRES_URL = os.environ.get("CALLFUNNEL_TEST_DATABASE_URL")
TEMPLATE = "callfunnel_template"


def mango_scenario(name: str) -> list[dict]:
    return json.loads((SAMPLES / "mango" / f"{name}.json").read_text())


def zadarma_scenario(name: str) -> list[dict]:
    return json.loads((SAMPLES / "zadarma" / f"{name}.json").read_text())


def _pg_dsn(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_database(tmp_path_factory) -> str:
    """A database migrated once; every test starts from a copy of it."""
    if POSTGRES_URL:

        async def recreate() -> None:
            conn = await asyncpg.connect(_pg_dsn(POSTGRES_URL, "postgres"))
            await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            await conn.execute(f"CREATE DATABASE {TEMPLATE}")
            await conn.close()

        asyncio.run(recreate())
        url = make_url(POSTGRES_URL).set(database=TEMPLATE).render_as_string(hide_password=False)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('template') / 'template.db'}"
    upgrade_to_head(url)
    return url


class DatabaseCopies:
    """Fresh migrated databases copied from the template: a file copy on SQLite, ``CREATE
    DATABASE ... TEMPLATE`` on PostgreSQL."""

    def __init__(self, template_url: str, directory: Path) -> None:
        self._template = template_url
        self._directory = directory
        self._created: list[str] = []

    async def make(self) -> str:
        if not POSTGRES_URL:
            target = self._directory / f"callfunnel-{uuid.uuid4().hex[:12]}.db"
            shutil.copy(make_url(self._template).database, target)
            self._created.append(str(target))
            return f"sqlite+aiosqlite:///{target}"
        name = f"t_{uuid.uuid4().hex[:16]}"
        conn = await asyncpg.connect(_pg_dsn(POSTGRES_URL, "postgres"))
        try:
            await conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        finally:
            await conn.close()
        self._created.append(name)
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        if not POSTGRES_URL:
            for path in self._created:
                Path(path).unlink(missing_ok=True)
        elif self._created:
            conn = await asyncpg.connect(_pg_dsn(POSTGRES_URL, "postgres"))
            for name in self._created:
                await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await conn.close()
        self._created.clear()


@pytest.fixture
async def new_database(template_database: str, tmp_path: Path):
    """Makes fresh migrated databases for the test (several when a test compares two runs)."""
    copies = DatabaseCopies(template_database, tmp_path)
    yield copies.make
    await copies.drop_all()


@pytest.fixture
async def database_url(new_database) -> str:
    return await new_database()


def settings_for(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        mango_api_key=MANGO_KEY,
        mango_api_salt=MANGO_SALT,
        generic_secret=GENERIC_SECRET,
        zadarma_secret=ZADARMA_SECRET,
        sweep_interval_seconds=3600,
        dispatch_interval_seconds=3600,  # tests fire the dispatch tick themselves, at the moment they choose
        realtime_interval_seconds=3600,  # ... and the live clients' one
        funnel_interval_seconds=3600,  # ... and the funnel's
        pbx_command_poll_seconds=0,  # ... and send PBX commands themselves
        reconcile_check_seconds=3600,  # ... and reconcile with the PBX history themselves
        webhook_max_age_days=36500,  # the samples and scripted calls are dated 2025; the window has its own tests
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url)


class Callfunnel:
    """A running app instance and an HTTP client on it, with helpers tests share."""

    def __init__(self, app, client: httpx.AsyncClient) -> None:
        self.app = app
        self.http = client

    @property
    def db(self):
        return self.app.state.db

    async def settle(self, timeout: float = 30.0) -> None:
        """Waits until every acknowledged webhook has been processed (by this instance or another)."""
        pending = (
            select(func.count()).select_from(InboxItem).where(InboxItem.handled_at.is_(None), InboxItem.error.is_(None))
        )
        async with asyncio.timeout(timeout):
            while True:
                await self.app.state.inbox_processor.drain()
                async with self.db.read_session() as session:
                    if not (await session.execute(pending)).scalar_one():
                        return
                await asyncio.sleep(0.01)

    async def user(
        self, name: str, role: Role = Role.operator, extension: str | None = None, skills: dict | None = None
    ) -> dict:
        async with self.db.session() as session:
            user, token = await auth_service.create(
                session=session, name=name, role=role, extension=extension, skills=skills
            )
        return {"id": user.id, "headers": {"Authorization": f"Bearer {token}"}}

    async def play_mango(self, notifications) -> None:
        """Posts scripted MANGO ``(path, payload)`` notifications, signed, and waits until they are processed."""
        for path, payload in notifications:
            response = await self.post_pbx(signed_mango(f"/{path}", payload))
            assert response.status_code == 200, response.text
        await self.settle()

    async def post_pbx(self, item: dict) -> httpx.Response:
        """Sends one recorded PBX request (a sample-file item) as the PBX would."""
        path = item["path"]
        if path.startswith("/zadarma/"):
            path = "/pbx/zadarma" + path.removeprefix("/zadarma/webhook")
        url = f"/pbx/mango{path}" if not path.startswith("/pbx/") else path
        body = item["body"]
        raw = {"content": body} if isinstance(body, str | bytes) else {"data": body}  # a JSON text, or a form
        return await self.http.post(url, **raw, headers=item.get("headers") or {})


@asynccontextmanager
async def running(settings: Settings, *, pbx_transport=None) -> AsyncIterator[Callfunnel]:
    app = create_app(settings, pbx_transport=pbx_transport)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("81.88.80.132", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://callfunnel.test") as client:
            yield Callfunnel(app, client)


@pytest.fixture
async def cf(settings: Settings) -> AsyncIterator[Callfunnel]:
    async with running(settings) as instance:
        yield instance


@pytest.fixture
async def supervisor(cf: Callfunnel) -> dict:
    return await cf.user("sam", Role.supervisor)


def signed_mango(path: str, payload: dict) -> dict:
    """A sample-file-shaped request item for a MANGO notification."""
    from telephony import mango

    return {"path": f"/{path}", "body": mango.signed_form(MANGO_KEY, MANGO_SALT, payload)}


@pytest.fixture
def fake_pbx():
    """Local fakes of the MANGO and Zadarma APIs (tests/fakes/pbx_api.py)."""
    from tests.fakes.pbx_api import FakePbxApis

    return FakePbxApis()


@pytest.fixture
async def mango_cf(settings: Settings, fake_pbx) -> AsyncIterator[Callfunnel]:
    """The app with its MANGO API client pointed at the fake."""
    settings = settings.model_copy(update={"mango_api_url": "http://mango.fake/vpbx/"})
    async with running(settings, pbx_transport=fake_pbx.transport()) as instance:
        yield instance
