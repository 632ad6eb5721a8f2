"""The ``callfunnel`` command as an administrator uses it (in a thread: it runs its own event loop)."""

import asyncio

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.database import Database
from app.reports import rollups
from app.settings import get_settings
from tests.support.app import running
from tests.support.generic import call_events, send


@pytest.fixture
def invoke(settings, monkeypatch):
    monkeypatch.setenv("CALLFUNNEL_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(cli, list(args))
    get_settings.cache_clear()


async def test_user_add_prints_a_working_token_and_revoke_stops_it(settings, invoke):
    result = await asyncio.to_thread(invoke, "user", "add", "olga", "--role", "operator", "--extension", "101")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert len(token) >= 43 and "olga" in result.output
    async with running(settings) as cf:
        headers = {"Authorization": f"Bearer {token}"}
        assert (await cf.http.get("/api/callbacks", headers=headers)).status_code == 200
        result = await asyncio.to_thread(invoke, "user", "revoke", "olga")
        assert result.exit_code == 0, result.output
        assert (await cf.http.get("/api/callbacks", headers=headers)).status_code == 401
        new_token = (await asyncio.to_thread(invoke, "user", "token", "olga")).output.strip().splitlines()[-1]
        assert (
            await cf.http.get("/api/callbacks", headers={"Authorization": f"Bearer {new_token}"})
        ).status_code == 200


def test_duplicate_user_and_unknown_user_are_clear_errors(invoke):
    assert invoke("user", "add", "olga", "--role", "supervisor").exit_code == 0
    result = invoke("user", "add", "olga", "--role", "supervisor")
    assert result.exit_code == 1 and "already exists" in result.output
    result = invoke("user", "revoke", "nobody")
    assert result.exit_code == 1 and "no user named 'nobody'" in result.output
    assert invoke("user", "add", "x", "--role", "king").exit_code == 2


async def test_user_add_with_skills_makes_an_operator_the_router_can_choose(settings, invoke):
    args = ("user", "add", "ivan", "--role", "operator", "--extension", "102", "--skills", "sales:8, english:5")
    result = await asyncio.to_thread(invoke, *args)
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    async with running(settings) as cf:
        [operator] = (await cf.http.get("/api/operators", headers={"Authorization": f"Bearer {token}"})).json()
    assert (operator["name"], operator["skills"], operator["state"]) == ("ivan", {"sales": 8, "english": 5}, "offline")


def test_unreadable_skills_are_refused(invoke):
    result = invoke("user", "add", "petr", "--role", "operator", "--skills", "sales:eleven")
    assert result.exit_code == 2 and "sales:eleven" in result.output


async def test_passwords_come_from_standard_input_without_their_newline(settings, monkeypatch):
    monkeypatch.setenv("CALLFUNNEL_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        add = ["user", "add", "sam", "--role", "supervisor", "--password-stdin"]
        added = await asyncio.to_thread(runner.invoke, cli, add, input="correct horse battery\n")
        assert added.exit_code == 0, added.output
        async with running(settings) as cf:
            signed = await cf.http.post("/api/auth/login", json={"name": "sam", "password": "correct horse battery"})
            assert signed.status_code == 200
            session = {"Authorization": f"Bearer {signed.json()['token']}"}
            changed = await asyncio.to_thread(
                runner.invoke, cli, ["user", "password", "sam"], input="a new one, please\n"
            )
            assert changed.exit_code == 0, changed.output
            assert (await cf.http.get("/api/callbacks", headers=session)).status_code == 401  # its sign-ins ended
            login = {"name": "sam", "password": "a new one, please"}
            assert (await cf.http.post("/api/auth/login", json=login)).status_code == 200
        short = await asyncio.to_thread(runner.invoke, cli, ["user", "password", "sam"], input="short\n")
        assert short.exit_code == 1 and "8 to 128 characters" in short.output
    finally:
        get_settings.cache_clear()


async def test_reports_rebuild_builds_the_rollups_for_a_new_timezone(settings, invoke, monkeypatch):
    async with running(settings) as cf:
        for n in range(3):
            for event in call_events(f"tz{n}", f"+7900111000{n}", answered_by=None):
                assert (await send(cf, event)).status_code == 200
        await cf.settle()
    monkeypatch.setenv("CALLFUNNEL_TIMEZONE", "Asia/Vladivostok")
    get_settings.cache_clear()
    result = await asyncio.to_thread(invoke, "reports", "rebuild")
    assert result.exit_code == 0, result.output
    assert "3 inbound call(s), days in Asia/Vladivostok" in result.output
    db = Database(settings.database_url)
    try:
        assert await db.read(lambda s: rollups.is_current(s, timezone="Asia/Vladivostok", fcr_days=settings.fcr_days))
    finally:
        await db.dispose()
