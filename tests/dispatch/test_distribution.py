"""Who gets the call: strategies, sticky managers and the queue's rules, through the real API."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.auth.models import Role
from app.database import utcnow
from app.dispatch import queueing
from app.operators import state as operator_state
from app.operators.models import OperatorState
from app.pbx import routed
from routing.hours import DAYS
from tests.support.app import running
from tests.support.desk import Desk, rung


@pytest.fixture
async def desk(cf, supervisor) -> Desk:
    return Desk(cf, supervisor)


async def test_round_robin_takes_turns_across_calls(desk):
    for ext in ("101", "102", "103"):
        await desk.operator(ext)
    await desk.queue(["101", "102", "103"], strategy="round_robin")
    chosen = []
    for n in range(6):
        route = await desk.incoming(f"rr-{n}", caller=f"+7900555010{n}")
        chosen += rung(route)
        await desk.answer(f"rr-{n}", rung(route)[0])
        await desk.hang_up(f"rr-{n}")
    assert chosen == ["101", "102", "103", "101", "102", "103"]
    call = await desk.call("rr-0")
    assert call["outcome"] == "answered" and call["route_rule"] == "round_robin"


async def test_ring_all_two_operators_accept_at_once_exactly_one_wins(desk):
    for ext in ("101", "102", "103"):
        await desk.operator(ext)
    await desk.queue(["101", "102", "103"], strategy="ring_all")
    route = await desk.incoming("ra-1")
    assert sorted(rung(route)) == ["101", "102", "103"] and route["timeout"] == 20
    offer = {t["extension"]: t["offer_id"] for t in route["targets"]}
    first, second = await asyncio.gather(desk.accept("101", offer["101"]), desk.accept("102", offer["102"]))
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    winner = "101" if first.status_code == 200 else "102"
    loser = "102" if winner == "101" else "101"
    assert await desk.state_of(winner) == "on_call"
    assert await desk.state_of(loser) == "available" and await desk.state_of("103") == "available"
    [revoked] = await desk.offers("103", status="revoked")
    assert revoked["end_reason"] == "taken_by_other"
    # The PBX then connects the winner: nothing changes hands.
    await desk.answer("ra-1", winner)
    await desk.hang_up("ra-1")
    call = await desk.call("ra-1")
    assert call["outcome"] == "answered" and call["route_rule"] == "ring_all"


async def test_skill_priority_offers_the_most_skilled_free_operator(desk):
    await desk.operator("101", skills={"sales": 5})
    await desk.operator("102", skills={"sales": 9})
    await desk.operator("103", skills={"sales": 7, "english": 9})
    await desk.queue(["101", "102", "103"], strategy="skill_priority", skill="sales")
    assert rung(await desk.incoming("sp-1")) == ["102"]
    assert rung(await desk.incoming("sp-2")) == ["103"]


async def test_personal_manager_first_then_the_queue(desk, cf):
    for ext in ("101", "102", "777"):
        await desk.operator(ext)
    await desk.queue(["101", "102"], strategy="round_robin", sticky_timeout_seconds=15)
    # A first call creates the contact; the supervisor makes 777 its personal manager.
    route = await desk.incoming("pm-0", caller="+79005550001")
    await desk.answer("pm-0", rung(route)[0])
    await desk.hang_up("pm-0")
    contact_id = (await desk.call("pm-0"))["contact_id"]
    response = await cf.http.patch(
        f"/api/contacts/{contact_id}", json={"owner_id": desk.operators["777"]["id"]}, headers=desk.sup["headers"]
    )
    assert response.status_code == 200, response.text
    route = await desk.incoming("pm-1", caller="+79005550001")
    assert rung(route) == ["777"] and route["timeout"] <= 15
    # The manager does not pick up within the sticky timeout: the queue's strategy takes over.
    await desk.tick(after_seconds=16)
    route = await desk.waiting("pm-1")
    assert rung(route) == ["102"]  # 101 took the first call
    await desk.answer("pm-1", "102")
    timeline = [t["kind"] for t in (await desk.call("pm-1"))["timeline"]]
    assert timeline.count("offered") == 2 and "taken" in timeline


async def test_repeat_caller_goes_back_to_the_manager_who_talked_last(desk):
    for ext in ("101", "102"):
        await desk.operator(ext)
    await desk.queue(["101", "102"], strategy="round_robin")
    assert rung(await desk.incoming("rc-1", caller="+79005550002")) == ["101"]
    await desk.answer("rc-1", "101")
    await desk.hang_up("rc-1")
    route = await desk.incoming("rc-2", caller="+79005550002")
    assert rung(route) == ["101"]
    await desk.answer("rc-2", "101")
    assert (await desk.call("rc-2"))["route_rule"] == "recent"


async def test_operators_who_let_calls_ring_out_go_on_break(desk, cf):
    await desk.operator("101")
    await desk.operator("102")
    await desk.queue(
        ["101", "102"], strategy="longest_idle", max_no_answers=2, ring_timeout_seconds=10, max_wait_seconds=600
    )
    route = await desk.incoming("na-1")
    assert rung(route) == ["101"]
    await desk.tick(after_seconds=11)  # 101 lets it ring out: the call moves on and keeps its place
    assert rung(await desk.waiting("na-1")) == ["102"]
    assert await desk.state_of("101") == "available"
    await desk.tick(after_seconds=22)  # 102 too
    assert rung(await desk.waiting("na-1")) == ["101"]  # only tried operators left: offered again
    await desk.tick(after_seconds=33)
    assert await desk.state_of("101") == "break"  # second no-answer in a row
    kinds = [t["kind"] for t in (await desk.call("na-1"))["timeline"]]
    assert "operator_on_break" in kinds


async def test_reject_moves_the_call_to_the_next_operator_at_once(desk):
    await desk.operator("101")
    await desk.operator("102")
    await desk.queue(["101", "102"], strategy="round_robin")
    route = await desk.incoming("rj-1")
    assert rung(route) == ["101"]
    response = await desk.reject("101", route["targets"][0]["offer_id"])
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert [o["extension"] for o in await desk.offers("102")] == ["102"]
    assert rung(await desk.waiting("rj-1")) == ["102"]
    assert (await desk.reject("101", route["targets"][0]["offer_id"])).status_code == 409


async def test_caller_hangs_up_while_ringing(desk):
    await desk.operator("101")
    await desk.queue(["101"])
    await desk.incoming("hu-1")
    assert await desk.state_of("101") == "ringing"
    await desk.hang_up("hu-1", reason="caller_hung_up")
    assert await desk.state_of("101") == "available"
    [offer] = await desk.offers("101", status="revoked")
    assert offer["end_reason"] == "caller_hung_up"
    call = await desk.call("hu-1")
    assert call["outcome"] == "abandoned"


async def test_nobody_logged_in_means_missed_with_the_reason_and_a_callback(desk, cf):
    await desk.operator("101", state="offline")
    await desk.queue(["101"])
    route = await desk.incoming("nl-1", caller="+79005550003")
    assert route == {"action": "reject", "reason": "no_operators"}
    await desk.hang_up("nl-1", reason="no_operators")
    call = await desk.call("nl-1")
    assert (call["outcome"], call["end_reason"]) == ("missed", "no_operators")
    [callback] = (
        await cf.http.get("/api/callbacks", params={"phone": "+79005550003"}, headers=desk.sup["headers"])
    ).json()["items"]
    assert callback["reason"] == "no_operators" and callback["status"] == "open"


async def test_max_wait_reached(desk, cf):
    await desk.operator("101", state="break")
    await desk.queue(["101"], max_wait_seconds=30)
    assert (await desk.incoming("mw-1"))["action"] == "wait"
    await desk.tick(after_seconds=31)
    assert await desk.waiting("mw-1") == {"action": "reject", "reason": "queue_timeout"}
    await desk.hang_up("mw-1", reason="caller_hung_up")
    call = await desk.call("mw-1")
    assert call["outcome"] == "abandoned"
    await desk.incoming("mw-2", caller="+79005550004")
    await desk.tick(after_seconds=31)
    await desk.hang_up("mw-2", reason="queue_timeout")
    assert (await desk.call("mw-2"))["end_reason"] == "queue_timeout"


async def test_wrap_up_is_honoured_then_the_oldest_waiting_call_is_offered(desk):
    await desk.operator("101", wrap_up_seconds=30)
    await desk.queue(["101"], max_wait_seconds=600)
    assert rung(await desk.incoming("wu-1")) == ["101"]
    await desk.answer("wu-1", "101")
    await desk.hang_up("wu-1")
    assert await desk.state_of("101") == "wrap_up"
    assert (await desk.incoming("wu-2"))["action"] == "wait"
    assert (await desk.incoming("wu-3"))["action"] == "wait"
    await desk.tick(after_seconds=10)
    assert await desk.state_of("101") == "wrap_up"
    await desk.tick(after_seconds=31)
    assert await desk.state_of("101") == "ringing"
    assert (await desk.waiting("wu-3"))["action"] == "wait"
    assert rung(await desk.waiting("wu-2")) == ["101"]


async def test_a_pbx_asking_again_for_a_caller_on_hold_goes_straight_to_the_decision(desk, cf, monkeypatch):
    """No read first asks whether there is anything to decide: for a call this process decided
    there always is (a flood's callers on hold paid that read at every ``waiting``)."""
    await desk.operator("101", state="break")
    await desk.queue(["101"], max_wait_seconds=600)
    assert (await desk.incoming("ask-1"))["action"] == "wait"
    await desk.set_state("101", "available")
    reads, real_read = [], cf.app.state.db.read

    async def counted_read(work):
        reads.append(work)
        return await real_read(work)

    monkeypatch.setattr(cf.app.state.db, "read", counted_read)
    assert rung(await desk.waiting("ask-1")) == ["101"]
    assert reads == []


async def test_vip_callers_are_served_first(desk, cf):
    await desk.operator("101", state="break")
    await desk.queue(["101"], sticky=False, max_wait_seconds=600)
    await desk.incoming("vip-0", caller="+79005550010")
    await desk.incoming("vip-1", caller="+79005550011")
    contact_id = (await desk.call("vip-1"))["contact_id"]
    response = await cf.http.patch(f"/api/contacts/{contact_id}", json={"vip": True}, headers=desk.sup["headers"])
    assert response.status_code == 200 and response.json()["vip"] is True
    await desk.incoming("vip-2", caller="+79005550011")  # the VIP calls again, after vip-0 began waiting
    await desk.set_state("101", "available")
    assert rung(await desk.waiting("vip-2")) == ["101"]


async def test_a_redelivered_decision_webhook_gets_the_same_answer(desk, cf):
    await desk.operator("101")
    await desk.operator("102")
    await desk.queue(["101", "102"])
    first = await desk.pbx("incoming", "dup-1", **{"from": "+79001112299", "to": "+74951234567"}, event_id="fixed")
    again = await desk.pbx("incoming", "dup-1", **{"from": "+79001112299", "to": "+74951234567"}, event_id="fixed")
    assert again["status"] == "duplicate" and again["route"] == first["route"]
    assert await desk.state_of("102") == "available"


async def test_after_hours_calls_are_missed_and_due_after_the_next_opening(desk, cf):
    await desk.operator("101")
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    only_tomorrow = {DAYS[tomorrow.weekday()]: [["10:00", "18:00"]]}
    await desk.queue(["101"], hours=only_tomorrow, timezone="UTC")
    route = await desk.incoming("ah-1", caller="+79005550020")
    assert route == {"action": "reject", "reason": "after_hours"}
    assert await desk.state_of("101") == "available"
    await desk.hang_up("ah-1", reason="ended_by_scheme")
    call = await desk.call("ah-1")
    assert (call["outcome"], call["end_reason"]) == ("missed", "after_hours")
    [callback] = (
        await cf.http.get("/api/callbacks", params={"phone": "+79005550020"}, headers=desk.sup["headers"])
    ).json()["items"]
    due = datetime.fromisoformat(callback["due_at"])
    assert callback["reason"] == "after_hours"
    assert due == tomorrow.replace(hour=10, minute=15, second=0, microsecond=0)  # the 15-minute SLA from opening


async def test_a_callback_closes_after_the_maximum_of_unanswered_attempts(cf, supervisor, settings):
    desk = Desk(cf, supervisor)
    await desk.operator("101", state="offline")
    await desk.queue(["101"])
    await desk.incoming("ma-1", caller="+79005550030")
    await desk.hang_up("ma-1", reason="no_operators")
    for n in range(5):  # CALLFUNNEL_CALLBACK_MAX_ATTEMPTS defaults to 5
        await desk.pbx("outgoing", f"ma-out-{n}", to="+79005550030", extension="101")
        await desk.pbx("ended", f"ma-out-{n}", reason="no_answer")
    await cf.settle()
    [callback] = (
        await cf.http.get("/api/callbacks", params={"phone": "+79005550030"}, headers=supervisor["headers"])
    ).json()["items"]
    assert (callback["attempts"], callback["status"]) == (5, "canceled")
    assert callback["result"] == "not reached after 5 attempts"


async def test_offers_waiting_calls_and_wrap_ups_survive_a_restart(settings, supervisor, cf):
    desk = Desk(cf, supervisor)
    await desk.operator("101", wrap_up_seconds=30)
    await desk.operator("102")
    await desk.queue(["101", "102"], strategy="round_robin", ring_timeout_seconds=10, max_wait_seconds=600)
    assert rung(await desk.incoming("rs-1")) == ["101"]
    await desk.answer("rs-1", "101")
    await desk.hang_up("rs-1")  # 101 in wrap-up for 30 s
    assert rung(await desk.incoming("rs-2")) == ["102"]  # ringing, 10 s
    assert (await desk.incoming("rs-3"))["action"] == "wait"
    async with running(settings) as restarted:
        after = Desk(restarted, supervisor)
        after.operators = desk.operators
        assert await after.state_of("101") == "wrap_up" and await after.state_of("102") == "ringing"
        await after.tick(after_seconds=11)  # 102's offer rang out while we were down: rs-2 moves on
        assert await after.state_of("102") == "ringing"  # ... to 102 again (101 is in wrap-up): rs-3 waits
        assert [o["end_reason"] for o in await after.offers("102", status="no_answer")] == ["expired"]
        await after.tick(after_seconds=31)
        assert await after.state_of("101") == "ringing"  # wrap-up over: the waiting rs-3 is offered
        assert rung(await after.waiting("rs-3")) == ["101"]


async def test_concurrent_calls_on_two_instances_never_share_an_operator(settings, supervisor, cf):
    desk = Desk(cf, supervisor)
    for ext in ("101", "102", "103", "104"):
        await desk.operator(ext)
    await desk.queue(["101", "102", "103", "104"], strategy="round_robin", max_wait_seconds=600)
    async with running(settings) as other:
        twin = Desk(other, supervisor)
        routes = await asyncio.gather(
            *[(desk if n % 2 else twin).incoming(f"cc-{n}", caller=f"+7900777{n:04d}") for n in range(12)]
        )
    offered = [ext for route in routes for ext in rung(route)]
    assert sorted(offered) == ["101", "102", "103", "104"]  # each operator rings for one call, once
    assert [route["action"] for route in routes].count("wait") == 8


async def test_a_call_nobody_answered_keeps_the_pbx_reason(desk):
    await desk.operator("101")
    await desk.queue(["101"])
    await desk.incoming("pr-1")
    await desk.pbx("ringing", "pr-1", extension="101")
    await desk.pbx("ended", "pr-1", extension="101", reason="no_answer")
    await desk.hang_up("pr-1", reason="no_answer")
    call = await desk.call("pr-1")
    assert (call["outcome"], call["end_reason"]) == ("missed", "no_answer")
    [offer] = await desk.offers("101", status="no_answer")
    assert offer["end_reason"] == "no_answer"


async def test_operators_without_an_extension_are_never_offered_calls(desk, cf):
    await desk.operator("101", state="break")
    nobody = await cf.user("no-phone", Role.operator)
    response = await cf.http.post("/api/operators/me/state", json={"state": "available"}, headers=nobody["headers"])
    assert response.status_code == 200
    queue = await desk.queue(["101"])
    members = [{"operator_id": desk.operators["101"]["id"]}, {"operator_id": nobody["id"], "position": 1}]
    await cf.http.put(f"/api/queues/{queue['id']}/members", json=members, headers=desk.sup["headers"])
    assert (await desk.incoming("ne-1"))["action"] == "wait"


async def test_a_phone_rung_again_on_the_same_call_follows_its_new_offer(desk):
    """Found by the simulator: the PBX's report that the first ring ended arrives after the operator
    rejected on the panel and was offered the same call again (the only one free) — it must not free
    them while the new offer rings; the second ring (a newer ``seq``) is a new ring of that phone."""
    await desk.operator("101")
    await desk.queue(["101"])
    assert rung(await desk.incoming("c-again")) == ["101"]
    await desk.pbx("ringing", "c-again", extension="101", seq=2)
    await desk.cf.settle()
    [first] = await desk.offers("101")
    assert (await desk.reject("101", first["id"])).status_code == 200
    [second] = await desk.offers("101")  # nobody else is free: the same operator again
    assert second["id"] != first["id"]
    await desk.pbx("ended", "c-again", extension="101", reason="rejected", seq=3)
    await desk.cf.settle()
    assert await desk.state_of("101") == "ringing"
    assert [o["id"] for o in await desk.offers("101")] == [second["id"]]
    await desk.pbx("ringing", "c-again", extension="101", seq=4)
    await desk.pbx("answered", "c-again", extension="101", seq=5)
    await desk.cf.settle()
    assert await desk.state_of("101") == "on_call"
    call = await desk.call("c-again")
    assert (call["outcome"], call["operator_extension"]) == (None, "101")
    [accepted] = await desk.offers("101", status="accepted")
    assert accepted["id"] == second["id"]


async def test_an_offer_is_dated_from_its_claim_not_from_when_its_dispatch_began(desk):
    """Found by the flood test on PostgreSQL: a busy dispatch read the clock, waited for other locks,
    then claimed an operator freed meanwhile; its offer seemed to ring while their last one still did."""
    await desk.operator("101", state="break")
    await desk.queue(["101"], ring_timeout_seconds=20)
    assert (await desk.incoming("c-late"))["action"] == "wait"
    operator_id = desk.operators["101"]["id"]
    freed = utcnow()
    moved = await desk.cf.db.run(
        lambda s: operator_state.set_state(
            session=s, operator_id=operator_id, state=OperatorState.available, expected=OperatorState.break_, now=freed
        )
    )
    assert moved
    await desk.tick(after_seconds=-5)  # this dispatch read the clock 5 s before the operator was freed
    [offer] = await desk.offers("101")
    created = datetime.fromisoformat(offer["created_at"])
    assert created >= freed
    assert datetime.fromisoformat(offer["expires_at"]) - created == timedelta(seconds=20)


async def test_a_call_the_pbx_was_told_to_route_itself_is_not_offered_behind_its_back(desk, monkeypatch):
    """A sync PBX hears of offers only in a webhook's reply.  When deciding failed, the webhook was
    stored for the inbox processor and answered ``proceed``: the PBX's own plan has the call, and
    an offer made later would ring a panel the PBX never rings (and count as that operator's no-answer)."""
    real_decide = routed.decide_for_pbx

    def failing(*, session, call, **kwargs):
        if call.external_id == "c-own":
            raise RuntimeError("simulated routing bug")
        return real_decide(session=session, call=call, **kwargs)

    await desk.operator("101")
    await desk.operator("102")
    await desk.queue(["101", "102"], max_no_answers=1)
    monkeypatch.setattr(routed, "decide_for_pbx", failing)
    assert (await desk.incoming("c-own"))["action"] == "proceed"
    await desk.cf.settle()
    await desk.tick()
    await desk.tick(after_seconds=60)
    assert await desk.offers("101") == [] and await desk.offers("102") == []
    assert [await desk.state_of(ext) for ext in ("101", "102")] == ["available", "available"]
    await desk.answer("c-own", "102")  # the PBX's own group rang 102
    await desk.hang_up("c-own")
    call = await desk.call("c-own")
    assert (call["outcome"], call["operator_extension"]) == ("answered", "102")
    monkeypatch.setattr(routed, "decide_for_pbx", real_decide)
    assert rung(await desk.incoming("c-next", caller="+79001112299")) == ["101"]  # offers resume as before


async def test_the_steps_of_a_distribution_that_failed_leave_the_timeline_with_it(desk, monkeypatch):
    """Timeline steps are written as the transaction commits: those distribution noted before it
    failed go with its savepoint, while the call's own (its events') stay."""
    real_missed_reason = queueing.missed_reason

    def failing(call, entry):
        if call.external_id == "c-undone":
            raise RuntimeError("simulated distribution bug")
        return real_missed_reason(call, entry)

    await desk.operator("101")
    await desk.queue(["101"])
    monkeypatch.setattr(queueing, "missed_reason", failing)
    assert (await desk.incoming("c-undone"))["action"] == "proceed"  # not in the queue: the PBX's plan
    steps = [step["kind"] for step in (await desk.call("c-undone"))["timeline"]]
    assert "leg_appeared" in steps and "queued" not in steps
    assert await desk.offers("101") == [] and await desk.state_of("101") == "available"


async def test_a_distribution_bug_on_one_event_is_made_good_by_the_next(desk, monkeypatch):
    """Distribution runs in a savepoint: when it fails the call keeps its events and its legs are
    not marked as followed, so the PBX's next word on the phone drives the operator's state."""
    real_missed_reason = queueing.missed_reason
    failures = []

    def failing_once(call, entry):
        if not failures:
            failures.append(call.external_id)
            raise RuntimeError("simulated distribution bug")
        return real_missed_reason(call, entry)

    await desk.operator("101")
    await desk.incoming("c-bug")  # no queue on the line: the PBX's own plan rings 101
    await desk.pbx("ringing", "c-bug", extension="101")
    await desk.cf.settle()
    assert await desk.state_of("101") == "ringing"
    monkeypatch.setattr(queueing, "missed_reason", failing_once)
    await desk.pbx("ended", "c-bug", extension="101", reason="no_answer")
    await desk.cf.settle()
    assert failures == ["c-bug"] and await desk.state_of("101") == "ringing"  # the release was rolled back
    legs = (await desk.call("c-bug"))["legs"]
    assert [leg["state"] for leg in legs if leg["extension"] == "101"] == ["disconnected"]  # the event is kept
    await desk.pbx("ended", "c-bug", extension="101", reason="no_answer")  # the PBX says it again
    await desk.cf.settle()
    assert await desk.state_of("101") == "available"
