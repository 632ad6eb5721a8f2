"""What tests share: the test credentials and sample files, the app running in the test's event
loop with an HTTP client on it, and fresh migrated databases (``conftest.py`` holds the fixtures)."""

import asyncio
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.auth.models import Role
from app.inbox.models import InboxItem
from app.main import create_app
from app.operators import service as operators_service
from app.settings import Settings
from telephony.mango import webhooks as mango

# The signed PBX sample sequences (tests/samples/README.md); CALLFUNNEL_SAMPLES_DIR replays another set.
SAMPLES = Path(os.environ.get("CALLFUNNEL_SAMPLES_DIR", Path(__file__).resolve().parent.parent / "samples"))
MANGO_KEY, MANGO_SALT = "test-vpbx-api-key", "test-vpbx-api-salt"
GENERIC_SECRET = "test-generic-secret"
ZADARMA_SECRET = "test-zadarma-secret"
SIPUNI_SECRET = "test-sipuni-secret"
UIS_SECRET = "test-uis-secret"
POSTGRES_URL = os.environ.get("CALLFUNNEL_TEST_DATABASE_URL")
TEMPLATE = "callfunnel_template"
# How many acknowledged webhooks wait for the inbox processor.
UNPROCESSED = (
    select(func.count()).select_from(InboxItem).where(InboxItem.handled_at.is_(None), InboxItem.error.is_(None))
)


def scenario(vendor: str, name: str) -> list[dict]:
    """The requests of one sample file, in sending order."""
    return json.loads((SAMPLES / vendor / f"{name}.json").read_text())


def mango_scenario(name: str) -> list[dict]:
    return scenario("mango", name)


def zadarma_scenario(name: str) -> list[dict]:
    return scenario("zadarma", name)


def pg_dsn(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


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
        conn = await asyncpg.connect(pg_dsn(POSTGRES_URL, "postgres"))
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
            conn = await asyncpg.connect(pg_dsn(POSTGRES_URL, "postgres"))
            for name in self._created:
                await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await conn.close()
        self._created.clear()


def settings_for(database_url: str, *, recording_cache_dir: Path | None = None) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        recording_cache_dir=str(recording_cache_dir or Path(tempfile.mkdtemp(prefix="callfunnel-test-recordings-"))),
        mango_api_key=MANGO_KEY,
        mango_api_salt=MANGO_SALT,
        generic_secret=GENERIC_SECRET,
        zadarma_secret=ZADARMA_SECRET,
        sipuni_secret=SIPUNI_SECRET,
        uis_secret=UIS_SECRET,
        sweep_interval_seconds=3600,
        dispatch_interval_seconds=3600,  # tests fire the dispatch tick themselves, at the moment they choose
        realtime_interval_seconds=3600,  # ... and the live clients' one
        funnel_interval_seconds=3600,  # ... and the funnel's
        pbx_command_poll_seconds=0,  # ... and send PBX commands themselves
        reconcile_check_seconds=3600,  # ... and reconcile with the PBX history themselves
        webhook_max_age_days=36500,  # the samples and scripted calls are dated 2025; the window has its own tests
        inbox_retention_days=36600,  # ... and so has retention
        admin_password_file="",  # no first admin: the tests make their own users
    )


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
        async with asyncio.timeout(timeout):
            while True:
                await self.app.state.inbox_processor.drain()
                if not await self.db.read(lambda s: s.execute(UNPROCESSED).scalar_one()):
                    return
                await asyncio.sleep(0.01)

    async def user(
        self, name: str, role: Role = Role.operator, extension: str | None = None, skills: dict | None = None
    ) -> dict:
        user, token = await self.db.run(
            lambda s: operators_service.create_user(session=s, name=name, role=role, extension=extension, skills=skills)
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


def signed_mango(path: str, payload: dict) -> dict:
    """A sample-file-shaped request item for a MANGO notification."""
    return {"path": f"/{path}", "body": mango.signed_form(MANGO_KEY, MANGO_SALT, payload)}
