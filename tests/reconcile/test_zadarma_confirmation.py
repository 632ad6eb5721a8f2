"""Zadarma signs only a few fields of its webhooks, so its call history has the last word: calls it
does not know are flagged ``unconfirmed``, outcomes it contradicts are corrected."""

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from telephony.simulator.history import FinishedCall, PbxHistory
from telephony.zadarma import webhooks as zadarma
from tests.support.app import ZADARMA_SECRET
from tests.support.history import LINE, calls_by_key, reconcile, with_history

CALLER = "79001230001"


@pytest.fixture
def history() -> PbxHistory:
    return PbxHistory()


@pytest.fixture
async def cf(settings, history):
    # (the simulated PBX's history does not lag: no grace needed)
    async with with_history(settings, history, "zadarma", reconcile_confirm_grace_seconds=0) as instance:
        yield instance


async def play_missed_call(cf, call: str, started: float) -> None:
    """NOTIFY_START and a NOTIFY_END saying nobody answered: what a forger can send (only the
    caller, the line and the start are signed)."""
    start = datetime.fromtimestamp(started, UTC).astimezone(ZoneInfo("Europe/Moscow")).strftime("%Y-%m-%d %H:%M:%S")
    common = {"call_start": start, "pbx_call_id": call, "caller_id": CALLER, "called_did": LINE}
    for form in (
        {"event": "NOTIFY_START", **common},
        {"event": "NOTIFY_END", **common, "disposition": "no answer", "duration": "0", "status_code": "19"},
    ):
        response = await cf.http.post(
            "/pbx/zadarma", data=form, headers={"Signature": zadarma.sign(ZADARMA_SECRET, form)}
        )
        assert response.status_code == 200, response.text
    await cf.settle()


async def test_a_call_the_history_does_not_know_is_unconfirmed_until_it_appears(cf, supervisor, history):
    started = time.time() - 600
    await play_missed_call(cf, "in_forged", started)

    await reconcile(cf, supervisor["headers"], "zadarma")

    forged = (await calls_by_key(cf, supervisor["headers"]))["in_forged"]
    assert forged["unconfirmed"] is True
    detail = (await cf.http.get(f"/api/calls/{forged['id']}", headers=supervisor["headers"])).json()
    assert "unconfirmed" in [step["kind"] for step in detail["timeline"]]
    report = (await cf.http.get("/api/reports/calls", params={"by": "day"}, headers=supervisor["headers"])).json()
    [day] = report["groups"]
    assert (day["unconfirmed"], day["offered"], day["missed"]) == (1, 0, 0)

    history.add(FinishedCall("in_forged", "+" + CALLER, LINE, started, started + 30, reason="queue_timeout"))
    await reconcile(cf, supervisor["headers"], "zadarma")

    assert (await calls_by_key(cf, supervisor["headers"]))["in_forged"]["unconfirmed"] is False


async def test_a_forged_disposition_is_corrected_to_the_historys(cf, supervisor, history):
    started = time.time() - 600
    await play_missed_call(cf, "in_real", started)
    open_before = (await cf.http.get("/api/callbacks", params={"status": "open"}, headers=supervisor["headers"])).json()
    assert [c["phone"] for c in open_before["items"]] == ["+" + CALLER]
    history.add(FinishedCall("in_real", "+" + CALLER, LINE, started, started + 90, started + 10, "101"))

    await reconcile(cf, supervisor["headers"], "zadarma")

    call = (await calls_by_key(cf, supervisor["headers"]))["in_real"]
    assert (call["outcome"], call["finalized_by"], call["unconfirmed"]) == ("answered", "history", False)
    open_after = (await cf.http.get("/api/callbacks", params={"status": "open"}, headers=supervisor["headers"])).json()
    assert open_after["items"] == []
