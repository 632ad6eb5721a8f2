"""Calls the PBX never finalized are finalized by the sweep; a late summary still corrects them."""

from datetime import timedelta

from app.database import utcnow
from app.flows.call_events import CallPolicy
from app.flows.scheduled import finalize_stale_calls
from telephony.mango.script import InboundCall
from tests.support.app import signed_mango
from tests.support.calls import answered, callbacks, play

T = 1750000000


async def sweep(cf, *, after: timedelta) -> int:
    app = cf.app
    return await finalize_stale_calls(
        db=cf.db, settings=app.state.settings, policy=CallPolicy.from_settings(app.state.settings), now=utcnow() + after
    )


async def test_legs_over_without_summary_are_finalized_after_five_minutes(cf, supervisor):
    script = InboundCall("m1", "79001234567", T).missed()
    await play(cf, script[:-1])  # the summary is lost
    [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert (call["state"], call["outcome"]) == ("ended", None)
    assert await sweep(cf, after=timedelta(minutes=4)) == 0
    assert await sweep(cf, after=timedelta(minutes=6)) == 1
    [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert (call["outcome"], call["end_reason"], call["finalized_by"]) == ("missed", "queue_timeout", "sweep")
    [callback] = await callbacks(cf, supervisor["headers"], "open")
    assert callback["reason"] == "queue_timeout"


async def test_silent_call_is_finalized_after_two_hours(cf, supervisor):
    script = InboundCall("s1", "79001234567", T).answered(extension="101")
    connected = [i for i, (_, p) in enumerate(script) if p.get("call_state") == "Connected"][0]
    await play(cf, script[: connected + 1])  # talking, then the PBX goes quiet
    assert await sweep(cf, after=timedelta(minutes=30)) == 0
    assert await sweep(cf, after=timedelta(hours=2, minutes=1)) == 1
    [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert (call["outcome"], call["end_reason"]) == ("answered", "silence_timeout")


async def test_late_summary_corrects_the_sweep_and_the_callback_list(cf, supervisor):
    script = InboundCall("c1", "79001234567", T).answered(extension="101")
    without_answer = [
        (path, p) for path, p in script if p.get("call_state") != "Connected" and path != "events/summary"
    ]
    await play(cf, without_answer)
    await sweep(cf, after=timedelta(minutes=6))
    [callback] = await callbacks(cf, supervisor["headers"], "open")
    await play(cf, [script[-1]])  # the summary: answered after all
    [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert (call["outcome"], call["finalized_by"]) == ("answered", "pbx")
    assert await callbacks(cf, supervisor["headers"], "open") == []
    [withdrawn] = await callbacks(cf, supervisor["headers"], "canceled")
    assert withdrawn["id"] == callback["id"]
    detail = (await cf.http.get(f"/api/calls/{call['id']}", headers=supervisor["headers"])).json()
    assert [t["kind"] for t in detail["timeline"] if t["kind"] in ("finalized", "outcome_corrected")] == [
        "finalized",
        "outcome_corrected",
    ]


async def test_sweep_leaves_answered_numbers_alone(cf, supervisor):
    await play(cf, answered("a1", T))
    assert await sweep(cf, after=timedelta(hours=3)) == 0
    assert (await cf.post_pbx(signed_mango(*answered("a1", T)[0]))).json()["status"] == "duplicate"


async def test_a_call_known_only_from_its_recording_is_not_judged(cf, supervisor):
    await play(
        cf,
        [
            (
                "events/record/added",
                {"entry_id": "rec-only", "product_id": 1, "user_id": 2, "timestamp": T, "recording_id": "r-1"},
            )
        ],
    )
    assert await sweep(cf, after=timedelta(hours=3)) == 0
    [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert (call["state"], call["outcome"]) == ("new", None) and call["recording_id"] is not None
    assert await callbacks(cf, supervisor["headers"]) == []
