"""The supervisors' live feed over a real websocket: missed calls, callbacks, the agent board,
queue figures; resuming with ``since`` misses nothing; only committed changes are shown."""

from datetime import timedelta

import pytest
from websockets.exceptions import ConnectionClosed

from app.auth.models import Role
from app.database import utcnow
from app.events import outbox
from app.realtime.scheduled import prune, tick
from schemas.realtime import SupervisorServerFrame
from tests.realtime.live import serving
from tests.support.desk import Desk

EAST_LINE = "+74232000000"


async def _miss(desk: Desk, call_id: str, caller: str) -> None:
    await desk.incoming(call_id, caller=caller)
    await desk.pbx("ended", call_id, reason="caller_hung_up")
    await desk.cf.settle()


async def test_a_missed_call_reaches_the_feed_with_its_callback(live, desk):
    await desk.operator("101")
    await desk.queue(["101"], name="sales")
    feed = await live.feed(desk.sup["headers"])
    snapshot = await feed.next("snapshot")
    SupervisorServerFrame.validate_python(snapshot)
    assert snapshot["reset"] is False and [q["name"] for q in snapshot["queues"]] == ["sales"]
    assert [o["state"] for o in snapshot["operators"]] == ["available"]

    await _miss(desk, "m1", "+79001110001")
    missed = await feed.next("missed_call")
    SupervisorServerFrame.validate_python(missed)
    assert missed["number"] == "+79001110001" and missed["outcome"] == "abandoned"
    assert missed["reason"] == "abandoned" and missed["queue"]["name"] == "sales"
    assert missed["callback"]["status"] == "open" and missed["seq"] > snapshot["seq"]
    created = await feed.next("callback_update")
    SupervisorServerFrame.validate_python(created)
    assert created["actions"] == ["created"] and created["callback_id"] == missed["callback"]["id"]

    claimed = await live.cf.http.post(
        f"/api/callbacks/{created['callback_id']}/claim", json={}, headers=desk.sup["headers"]
    )
    assert claimed.status_code == 200, claimed.text
    update = await feed.next("callback_update")
    assert update["actions"] == ["claimed"] and update["status"] == "in_progress"


async def test_a_supervisor_who_drops_and_resumes_with_since_misses_nothing(live, desk):
    await desk.operator("101", state="offline")
    await desk.queue(["101"])
    feed = await live.feed(desk.sup["headers"])
    last = (await feed.next("snapshot"))["seq"]
    await _miss(desk, "a", "+79001110001")
    last = (await feed.next("missed_call"))["seq"]
    feed.drop()  # the Wi-Fi goes

    for n in range(5):  # meanwhile
        await _miss(desk, f"b{n}", f"+7900111100{n + 2}")
    await desk.set_state("101", "available")

    feed = await live.feed(desk.sup["headers"], since=last)
    await _miss(desk, "c", "+79001110009")  # and after resuming
    replayed = [await feed.next()]
    while not (replayed[-1]["type"] == "missed_call" and replayed[-1]["number"] == "+79001110009"):
        replayed.append(await feed.next())
    replayed += await feed.quiet()
    assert "snapshot" not in [f["type"] for f in replayed]
    seqs = [f["seq"] for f in replayed]
    assert seqs == sorted(set(seqs)) and seqs[0] > last
    missed = [f["number"] for f in replayed if f["type"] == "missed_call"]
    assert missed == [f"+7900111100{n + 2}" for n in range(5)] + ["+79001110009"]
    assert [f["state"] for f in replayed if f["type"] == "operator_state"] == ["available", "ringing", "available"]
    assert not [f for f in await feed.quiet() if f["type"] == "missed_call"]  # each once


async def test_a_since_older_than_the_events_kept_gets_a_fresh_snapshot_marked_reset(live, desk):
    await desk.operator("101", state="offline")
    await desk.queue(["101"])
    await _miss(desk, "old", "+79001110001")
    pruned = await live.cf.db.run(lambda s: prune(s, keep=timedelta(days=7), now=utcnow() + timedelta(days=8)))
    assert pruned > 0
    await _miss(desk, "new", "+79001110002")
    feed = await live.feed(desk.sup["headers"], since=1)
    snapshot = await feed.next()
    assert snapshot["type"] == "snapshot" and snapshot["reset"] is True
    assert sorted(cb["phone"] for cb in snapshot["callbacks"]) == ["+79001110001", "+79001110002"]
    feed = await live.feed(desk.sup["headers"], since=10**9)  # from the future: unknown, start over
    assert (await feed.next())["reset"] is True


async def test_an_overdue_callback_is_announced_once(live, desk):
    await desk.operator("101", state="offline")
    await desk.queue(["101"])
    await _miss(desk, "late", "+79001110001")
    feed = await live.feed(desk.sup["headers"])
    await feed.next("snapshot")
    sla = live.cf.app.state.settings.callback_sla_minutes

    async def tick_after(minutes: float) -> dict:
        moment = utcnow() + timedelta(minutes=minutes)
        return await live.cf.db.run(lambda s: tick(s, grace=timedelta(seconds=30), now=moment))

    assert (await tick_after(sla - 1))["callbacks_overdue"] == 0
    assert (await tick_after(sla + 1))["callbacks_overdue"] == 1
    assert (await tick_after(sla + 2))["callbacks_overdue"] == 0
    overdue = [f for f in await feed.quiet(0.5) if f["type"] == "callback_update"]
    assert [(f["actions"], f["overdue"]) for f in overdue] == [(["overdue"], True)]


async def test_queue_figures_follow_the_calls(live, desk):
    await desk.operator("101")
    await desk.queue(["101"], name="sales")
    feed = await live.feed(desk.sup["headers"])
    await feed.next("snapshot")
    await desk.incoming("q1")
    await desk.answer("q1", "101")
    await desk.hang_up("q1")
    await _miss(desk, "q2", "+79001110002")
    await live.cf.db.run(lambda s: tick(s, grace=timedelta(seconds=30)))
    stats = await feed.next("queue_stats")
    SupervisorServerFrame.validate_python(stats)
    assert (stats["answered_today"], stats["missed_today"], stats["waiting"]) == (1, 1, 0)
    assert stats["service_level_today"] == 50.0
    await live.cf.db.run(lambda s: tick(s, grace=timedelta(seconds=30)))  # nothing changed: nothing sent
    assert not [f for f in await feed.quiet() if f["type"] == "queue_stats"]


async def test_queues_in_two_time_zones_each_count_their_own_calls(live, desk):
    await desk.operator("101")
    await desk.operator("102")
    await desk.queue(["101"], name="sales")
    await desk.queue(["102"], name="east", numbers=[EAST_LINE], timezone="Asia/Vladivostok")
    feed = await live.feed(desk.sup["headers"])
    await feed.next("snapshot")
    await desk.incoming("s1")
    await desk.answer("s1", "101")
    await desk.hang_up("s1")
    await desk.pbx("incoming", "e1", **{"from": "+79001110003", "to": EAST_LINE})
    await desk.pbx("incoming", "e2", **{"from": "+79001110004", "to": EAST_LINE})
    await desk.pbx("ended", "e1", reason="caller_hung_up")
    await live.cf.settle()
    await live.cf.db.run(lambda s: tick(s, grace=timedelta(seconds=30)))
    frames = {f["name"]: f for f in [await feed.next("queue_stats"), await feed.next("queue_stats")]}
    figures = {name: (f["answered_today"], f["missed_today"], f["waiting"]) for name, f in frames.items()}
    assert figures == {"sales": (1, 0, 0), "east": (0, 1, 1)}
    tomorrow = utcnow() + timedelta(days=1)
    await live.cf.db.run(lambda s: tick(s, grace=timedelta(seconds=30), now=tomorrow))
    frames = {f["name"]: f for f in [await feed.next("queue_stats"), await feed.next("queue_stats")]}
    assert {name: (f["answered_today"], f["missed_today"]) for name, f in frames.items()} == {
        "sales": (0, 0),
        "east": (0, 0),
    }
    assert frames["east"]["waiting"] == 1 and frames["east"]["longest_wait_seconds"] >= 86_000


async def test_a_rolled_back_change_is_never_shown(live, desk):
    feed = await live.feed(desk.sup["headers"])
    await feed.next("snapshot")

    def fails(session):
        outbox.publish(session, "missed_call", {"call_id": 0})
        raise RuntimeError("the transaction fails after publishing")

    with pytest.raises(RuntimeError):
        await live.cf.db.run(fails)
    await _miss(desk, "real", "+79001110001")
    frames = [await feed.next("missed_call")] + await feed.quiet()
    assert [f["call_id"] for f in frames if f["type"] == "missed_call"] != [0]
    assert 0 not in [f.get("call_id") for f in frames]


async def test_a_supervisor_who_falls_behind_is_disconnected_and_resumes_with_since(settings):
    async with serving(settings.model_copy(update={"ws_send_queue_frames": 1})) as live:
        desk = Desk(live.cf, await live.cf.user("sam", Role.supervisor))
        await desk.operator("101", state="offline")
        await desk.queue(["101"])
        feed = await live.feed(desk.sup["headers"])
        last = (await feed.next("snapshot"))["seq"]
        await _miss(desk, "burst", "+79001110001")  # one commit, more events than the socket may queue
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                frame = await feed.next(timeout=5)
                last = frame["seq"]
        assert closed.value.rcvd.code == 4008
        feed = await live.feed(desk.sup["headers"], since=last)
        resumed = [await feed.next()]
        while resumed[-1]["type"] != "callback_update":
            resumed.append(await feed.next())
        assert "snapshot" not in [f["type"] for f in resumed]
        assert [f["number"] for f in resumed if f["type"] == "missed_call"] in ([], ["+79001110001"])


async def test_numbers_and_replay_survive_a_restart(settings):
    async with serving(settings) as live:
        desk = Desk(live.cf, await live.cf.user("sam", Role.supervisor))
        await desk.operator("101", state="offline")
        await desk.queue(["101"])
        feed = await live.feed(desk.sup["headers"])
        await feed.next("snapshot")
        await _miss(desk, "before", "+79001110001")
        last = (await feed.next("missed_call"))["seq"]
        await _miss(desk, "unseen", "+79001110002")  # committed, never read before the restart
    async with serving(settings) as live:
        desk.cf = live.cf
        await _miss(desk, "after", "+79001110003")
        feed = await live.feed(desk.sup["headers"], since=last)
        numbers = []
        while len(numbers) < 2:
            frame = await feed.next("missed_call")
            assert frame["seq"] > last
            numbers.append(frame["number"])
        assert numbers == ["+79001110002", "+79001110003"]
