"""The recordings' side of the ``callfunnel`` command: ``contacts purge-recordings`` (an erasure
request removes one client's cached audio, example marks and pinned review notes, and nobody
else's) and ``db backup``/``db restore`` (the examples' audio goes with the database)."""

import asyncio
import shutil

import pytest
from typer.testing import CliRunner

from app.auth.models import Role
from app.cli import cli
from app.settings import get_settings
from tests.support.app import POSTGRES_URL, running
from tests.support.recordings import AUDIO, answered_call


async def invoke(settings, *args: str):
    """``callfunnel ARGS`` as an administrator runs it on this database and cache (in a thread: it
    runs its own event loop)."""
    environment = {
        "CALLFUNNEL_DATABASE_URL": settings.database_url,
        "CALLFUNNEL_RECORDING_CACHE_DIR": settings.recording_cache_dir,
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        try:
            return await asyncio.to_thread(CliRunner().invoke, cli, list(args))
        finally:
            get_settings.cache_clear()


async def test_purge_removes_one_clients_audio_and_examples(cf, store, supervisor, recording_settings):
    headers = supervisor["headers"]
    theirs = await answered_call(cf, store, headers, "m-p1", number="79001234561")
    others = await answered_call(cf, store, headers, "m-p2", number="79001234562")
    for call in (theirs, others):
        assert (await cf.http.get(f"/api/calls/{call}/recording", headers=headers)).content == AUDIO
        assert (
            await cf.http.post(f"/api/calls/{call}/example", json={"kind": "good"}, headers=headers)
        ).status_code == 200
    files = {
        call: cf.app.state.recording_cache.path(
            int((await cf.http.get(f"/api/calls/{call}", headers=headers)).json()["recording_id"])
        )
        for call in (theirs, others)
    }
    assert all(path.exists() for path in files.values())
    contact = (await cf.http.get(f"/api/calls/{theirs}", headers=headers)).json()["contact_id"]
    card = (await cf.http.get("/api/scorecards", headers=headers)).json()
    for call in (theirs, others):
        body = {
            "call_id": call,
            "scorecard_id": card["id"],
            "answers": ["yes"] * 6,
            "notes": [{"at_seconds": 1, "text": "said the name"}],
        }
        assert (await cf.http.post("/api/reviews", json=body, headers=headers)).status_code == 201

    result = await invoke(recording_settings, "contacts", "purge-recordings", str(contact))
    missing = await invoke(recording_settings, "contacts", "purge-recordings", "99999")
    assert result.exit_code == 0, result.output
    assert "1 cached recording(s), 1 example mark(s) and 1 review note(s) removed" in result.output
    assert missing.exit_code == 1 and "does not exist" in missing.output
    assert (files[theirs].exists(), files[others].exists()) == (False, True)
    examples = (await cf.http.get("/api/examples", headers=headers)).json()
    assert [e["call_id"] for e in examples] == [others]
    reviews = {r["call_id"]: r for r in (await cf.http.get("/api/reviews", headers=headers)).json()}
    assert (reviews[theirs]["notes"], reviews[theirs]["score"]) == ([], 100.0)  # the score stays
    assert [n["text"] for n in reviews[others]["notes"]] == ["said the name"]


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's backup; PostgreSQL's is pg_dump")
async def test_the_examples_audio_goes_with_a_backup(recording_settings, store, tmp_path):
    async with running(recording_settings, pbx_transport=store) as cf:
        headers = (await cf.user("boss", Role.supervisor))["headers"]
        example = await answered_call(cf, store, headers, "m-k1", number="79001234561")
        other = await answered_call(cf, store, headers, "m-k2", number="79001234562")
        for call in (example, other):
            assert (await cf.http.get(f"/api/calls/{call}/recording", headers=headers)).content == AUDIO
        await cf.http.post(f"/api/calls/{example}/example", json={"kind": "good"}, headers=headers)
        backed_up = await invoke(recording_settings, "db", "backup", str(tmp_path / "copy.db"))
        assert backed_up.exit_code == 0, backed_up.output
        assert "1 example recording(s)" in backed_up.output
        recording = (await cf.http.get(f"/api/calls/{example}", headers=headers)).json()["recording_id"]
        saved = [p.name for p in (tmp_path / "copy.db.examples").iterdir()]
        assert saved == [cf.app.state.recording_cache.path(int(recording)).name]  # the example's only
    shutil.rmtree(recording_settings.recording_cache_dir)  # the disk is lost; the backup is not
    restored = await invoke(recording_settings, "db", "restore", str(tmp_path / "copy.db"))
    assert restored.exit_code == 0, restored.output
    assert "with 1 example recording(s)" in restored.output
    async with running(recording_settings, pbx_transport=store) as cf:
        before = store.requests["mango-api"]
        assert (await cf.http.get(f"/api/calls/{example}/recording", headers=headers)).content == AUDIO
        assert store.requests["mango-api"] == before  # from the restored file, not the PBX
