"""``callfunnel contacts purge-recordings``: an erasure request removes one client's cached audio,
example marks and pinned review notes, and nobody else's."""

import asyncio

from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings
from tests.support.recordings import AUDIO, answered_call


async def test_purge_removes_one_clients_audio_and_examples(cf, store, supervisor, recording_settings, monkeypatch):
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

    monkeypatch.setenv("CALLFUNNEL_DATABASE_URL", recording_settings.database_url)
    monkeypatch.setenv("CALLFUNNEL_RECORDING_CACHE_DIR", recording_settings.recording_cache_dir)
    get_settings.cache_clear()
    try:
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["contacts", "purge-recordings", str(contact)])
        missing = await asyncio.to_thread(CliRunner().invoke, cli, ["contacts", "purge-recordings", "99999"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "1 cached recording(s), 1 example mark(s) and 1 review note(s) removed" in result.output
    assert missing.exit_code == 1 and "does not exist" in missing.output
    assert (files[theirs].exists(), files[others].exists()) == (False, True)
    examples = (await cf.http.get("/api/examples", headers=headers)).json()
    assert [e["call_id"] for e in examples] == [others]
    reviews = {r["call_id"]: r for r in (await cf.http.get("/api/reviews", headers=headers)).json()}
    assert (reviews[theirs]["notes"], reviews[theirs]["score"]) == ([], 100.0)  # the score stays
    assert [n["text"] for n in reviews[others]["notes"]] == ["said the name"]
