"""The console in real Chromium against callfunnel as a live server on loopback (``make test``
installs Debian's chromium and chromium-driver).  Each test saves a screenshot of what it shows:
into a temporary folder, or with ``CALLFUNNEL_SCREENSHOTS=DIR`` (``make screenshots``) into DIR."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.auth.models import Role
from tests.console import browser
from tests.live_server import Server
from tests.support.floor import Floor

if not browser.installed():
    pytest.fail("the console's tests need chromium and chromedriver: `make test` installs them", pytrace=False)


@pytest.fixture
async def live(database_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    server = Server(database_url, tmp_path / "server.log")
    await server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def floor(live: Server, database_url: str) -> AsyncIterator[Floor]:
    floor = Floor(live.url, database_url)
    await floor.person("boss", Role.admin)
    try:
        yield floor
    finally:
        await floor.close()


@pytest.fixture
def screens(tmp_path: Path) -> Path:
    chosen = os.environ.get("CALLFUNNEL_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
