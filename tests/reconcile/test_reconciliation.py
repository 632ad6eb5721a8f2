"""Calls whose webhooks were lost come back from the PBX's own call history (MANGO stats, Zadarma statistics)."""

import time

import httpx
import pytest

from app.auth.models import Role
from telephony.mango.script import InboundCall
from telephony.simulator.history import FinishedCall, PbxHistory
from telephony.simulator.pbx_api import PbxApi
from tests.support.app import running
from tests.support.history import LINE, calls_by_key, reconcile, with_history


@pytest.fixture
def history() -> PbxHistory:
    return PbxHistory()


@pytest.fixture
def vendor() -> str:
    return "mango"  # the PBX whose history is served; tests of Zadarma say so


@pytest.fixture
async def cf(settings, history, vendor):
    async with with_history(settings, history, vendor) as instance:
        yield instance


async def test_mango_history_creates_lost_calls_and_completes_unfinished_ones(cf, supervisor, history):
    now = int(time.time())
    sent_whole = InboundCall(entry_id="E-whole", caller="79001110001", start=now - 600, line=LINE)
    lost_summary = InboundCall(entry_id="E-nosummary", caller="79001110002", start=now - 500, line=LINE)
    await cf.play_mango(sent_whole.answered(extension="101", talk=30))
    await cf.play_mango(lost_summary.missed(rung=("101",), code=1110, wait=40)[:-1])  # the summary never came
    history.add(FinishedCall("E-whole", "+79001110001", LINE, now - 600, now - 530, now - 560, "101"))
    history.add(FinishedCall("E-nosummary", "+79001110002", LINE, now - 500, now - 460, reason="caller_hung_up"))
    history.add(FinishedCall("E-never", "+79001110003", LINE, now - 400, now - 300, reason="queue_timeout"))

    result = await reconcile(cf, supervisor["headers"], "mango")

    assert (result["calls_seen"], result["calls_created"], result["calls_completed"]) == (3, 1, 1)
    calls = await calls_by_key(cf, supervisor["headers"])
    assert calls["E-whole"]["outcome"] == "answered" and calls["E-whole"]["recovered_at"] is None
    assert calls["E-nosummary"]["outcome"] == "abandoned" and calls["E-nosummary"]["recovered_at"] is not None
    never = calls["E-never"]
    assert (never["outcome"], never["number"], never["finalized_by"]) == ("missed", "+79001110003", "history")
    assert never["started_at"].startswith(time.strftime("%Y-%m-%d", time.gmtime(now - 400)))
    open_callbacks = (
        await cf.http.get("/api/callbacks", params={"status": "open"}, headers=supervisor["headers"])
    ).json()
    assert {c["phone"] for c in open_callbacks["items"]} == {"+79001110002", "+79001110003"}
    detail = (await cf.http.get(f"/api/calls/{never['id']}", headers=supervisor["headers"])).json()
    assert "recovered" in [t["kind"] for t in detail["timeline"]]

    again = await reconcile(cf, supervisor["headers"], "mango")
    assert (again["calls_seen"], again["calls_created"], again["calls_completed"]) == (3, 0, 0)


@pytest.mark.parametrize("vendor", ["zadarma"])
async def test_zadarma_statistics_recover_an_answered_call(cf, supervisor, history):
    now = time.time()
    history.add(FinishedCall("in_lost1", "+79001110004", LINE, now - 300, now - 200, now - 290, "102"))
    history.add(FinishedCall("in_lost2", "+79001110005", LINE, now - 250, now - 240, reason="caller_hung_up"))

    result = await reconcile(cf, supervisor["headers"], "zadarma")

    assert (result["calls_seen"], result["calls_created"]) == (2, 2)
    calls = await calls_by_key(cf, supervisor["headers"])
    answered, hung_up = calls["in_lost1"], calls["in_lost2"]
    assert (answered["outcome"], answered["operator_extension"], answered["number"]) == (
        "answered",
        "102",
        "+79001110004",
    )
    assert hung_up["outcome"] == "abandoned"
    assert [r["vendor"] for r in (await cf.http.get("/api/reconciliation", headers=supervisor["headers"])).json()] == [
        "zadarma"
    ]


async def test_a_pbx_api_that_fails_is_reported_and_nothing_changes(settings):
    settings = settings.model_copy(update={"mango_api_url": "http://pbx.test/vpbx/"})
    refusing = PbxApi(
        vendor="mango", history=PbxHistory(), mango_key="other-key", mango_salt="other-salt"
    )  # our signature is wrong
    async with running(settings, pbx_transport=httpx.ASGITransport(app=refusing.app)) as cf:
        boss = await cf.user("boss", Role.supervisor)
        result = await reconcile(cf, boss["headers"], "mango")
        assert result["last_error"].startswith("StatsError: stats/request: HTTP 401")
        assert result["read_until"] is None
        assert (await calls_by_key(cf, boss["headers"])) == {}
