"""Listening: tickets and Range requests, who may listen, the playback log, the cache and a PBX
that fails to hand a file over."""

import time
from datetime import timedelta

from sqlalchemy import func, select, update

from app.auth.models import Role
from app.database import utcnow
from app.recordings.models import Playback, Recording, RecordingTicket
from tests.support.app import running
from tests.support.recordings import AUDIO, answered_call, recordings_of, ticket_url


async def test_range_requests_through_a_ticket(cf, store, supervisor):
    call = await answered_call(cf, store, supervisor["headers"], "m-range")
    url = await ticket_url(cf, supervisor["headers"], call)
    assert "ticket=" in url
    size = len(AUDIO)
    first = await cf.http.get(url, headers={"Range": "bytes=0-43"})  # no bearer token: the ticket is the proof
    assert first.status_code == 206 and first.content == AUDIO[:44]
    assert first.headers["content-range"] == f"bytes 0-43/{size}"
    middle = await cf.http.get(url, headers={"Range": "bytes=1000-1999"})
    assert middle.status_code == 206 and middle.content == AUDIO[1000:2000]
    suffix = await cf.http.get(url, headers={"Range": "bytes=-100"})
    assert suffix.status_code == 206 and suffix.content == AUDIO[-100:]
    past = await cf.http.get(url, headers={"Range": f"bytes={size + 10}-"})
    assert past.status_code == 416
    stale = await cf.http.get(url, headers={"Range": "bytes=0-9", "If-Range": '"not-the-etag"'})
    assert stale.status_code == 200 and stale.content == AUDIO  # the file changed: the whole of it
    whole = await cf.http.get(url)
    assert whole.status_code == 200 and whole.content == AUDIO
    assert store.requests["mango-api"] == 1


async def test_a_ticket_is_for_one_recording_and_ten_minutes(cf, store, supervisor):
    headers = supervisor["headers"]
    one = await answered_call(cf, store, headers, "m-t1")
    two = await answered_call(cf, store, headers, "m-t2", number="79001234568")
    url = await ticket_url(cf, headers, one)
    [other] = await recordings_of(cf, headers, two)
    ticket = url.split("ticket=")[1]
    refused = await cf.http.get(f"/api/calls/{two}/recordings/{other['id']}/audio", params={"ticket": ticket})
    assert refused.status_code == 401
    assert (await cf.http.get(f"/api/calls/{two}/recording", params={"ticket": ticket})).status_code == 401
    assert (await cf.http.get(url)).status_code == 200
    await cf.db.run(lambda s: s.execute(update(RecordingTicket).values(expires_at=utcnow() - timedelta(seconds=1))))
    assert (await cf.http.get(url)).status_code == 401
    assert (await cf.http.get(f"/api/calls/{one}/recording", params={"ticket": "made-up"})).status_code == 401
    assert (await cf.http.get(f"/api/calls/{one}/recording")).status_code == 401  # neither ticket nor token


async def test_who_may_listen(cf, store, supervisor):
    headers = supervisor["headers"]
    taker = await cf.user("taker", Role.operator, extension="101")
    offered = await cf.user("offered", Role.operator, extension="102")  # rang, did not answer
    owner = await cf.user("owner", Role.operator, extension="103")
    stranger = await cf.user("stranger", Role.operator, extension="104")
    call = await answered_call(cf, store, headers, "m-perm", missed_by=("102",))
    contact = (await cf.http.get(f"/api/calls/{call}", headers=headers)).json()["contact_id"]
    patched = await cf.http.patch(f"/api/contacts/{contact}", json={"owner_id": owner["id"]}, headers=headers)
    assert patched.status_code == 200, patched.text

    async def may(user) -> int:
        return (await cf.http.get(f"/api/calls/{call}/recording", headers=user["headers"])).status_code

    assert [await may(u) for u in (supervisor, taker, offered, owner, stranger)] == [200, 200, 403, 200, 403]
    ticket = await cf.http.post(f"/api/calls/{call}/recording-ticket", headers=offered["headers"])
    assert ticket.status_code == 403  # no ticket for what one may not hear

    good = await cf.http.post(f"/api/calls/{call}/example", json={"kind": "good"}, headers=headers)
    assert good.status_code == 200, good.text
    assert [await may(u) for u in (taker, offered, stranger)] == [200, 200, 200]  # a good example: everyone
    bad = await cf.http.post(f"/api/calls/{call}/example", json={"kind": "bad", "note": "rude"}, headers=headers)
    assert bad.json()["kind"] == "bad"  # marking again replaces the mark
    assert [await may(u) for u in (supervisor, taker, owner, stranger)] == [200, 403, 403, 403]
    assert (
        await cf.http.post(f"/api/calls/{call}/example", json={"kind": "good"}, headers=taker["headers"])
    ).status_code == 403
    assert (await cf.http.delete(f"/api/calls/{call}/example", headers=headers)).status_code == 204
    assert [await may(u) for u in (taker, offered)] == [200, 403]


async def test_one_playback_row_per_user_recording_and_hour(cf, store, supervisor, admin):
    headers = supervisor["headers"]
    call = await answered_call(cf, store, headers, "m-log")
    url = await ticket_url(cf, headers, call)
    for bytes_range in ("bytes=0-99", "bytes=100-199", "bytes=-10"):
        assert (await cf.http.get(url, headers={"Range": bytes_range})).status_code == 206
    assert (await cf.http.get(f"/api/calls/{call}/recording", headers=headers)).status_code == 200
    assert (await cf.http.get(f"/api/calls/{call}/recording", headers=admin["headers"])).status_code == 200
    [row] = await recordings_of(cf, headers, call)
    assert sorted(p["user_name"] for p in row["playbacks"]) == ["ada", "sam"]
    assert await cf.db.read(lambda s: s.execute(select(func.count()).select_from(Playback)).scalar()) == 2
    operator = await cf.user("olga", Role.operator, extension="101")
    [seen] = await recordings_of(cf, operator["headers"], call)
    assert seen["playbacks"] is None  # who listened is for supervisors


async def test_the_cache_evicts_by_age_then_size_and_keeps_examples(cf, store, supervisor):
    headers = supervisor["headers"]
    calls = [await answered_call(cf, store, headers, f"m-e{n}", number=f"7900123450{n}") for n in range(4)]
    for call in calls:
        assert (await cf.http.get(f"/api/calls/{call}/recording", headers=headers)).status_code == 200
    recording_cache = cf.app.state.recording_cache
    ids = [(await recordings_of(cf, headers, call))[0]["id"] for call in calls]
    assert all(recording_cache.path(rid).exists() for rid in ids)
    assert oct(recording_cache.path(ids[0]).stat().st_mode & 0o777) == "0o600"
    await cf.http.post(f"/api/calls/{calls[0]}/example", json={"kind": "good"}, headers=headers)
    now = utcnow()
    ages = {ids[0]: timedelta(days=90), ids[1]: timedelta(days=31), ids[2]: timedelta(days=2), ids[3]: timedelta(0)}
    for rid, age in ages.items():
        await cf.db.run(
            lambda s, rid=rid, age=age: s.execute(
                update(Recording).where(Recording.id == rid).values(last_access_at=now - age)
            )
        )
    assert await recording_cache.evict() == 1  # 31 days unused; the example's 90 days do not count
    assert [recording_cache.path(rid).exists() for rid in ids] == [True, False, True, True]
    recording_cache.max_bytes = len(AUDIO)  # room for one file (examples aside)
    assert await recording_cache.evict() == 1  # the least recently used goes first
    assert [recording_cache.path(rid).exists() for rid in ids] == [True, False, False, True]
    again = await cf.http.get(f"/api/calls/{calls[1]}/recording", headers=headers)
    assert again.status_code == 200 and again.content == AUDIO  # fetched again from the PBX
    assert store.requests["mango-api"] == 5


async def test_a_pbx_that_fails_gets_a_503_in_time_and_nothing_half_kept(cf, store, supervisor):
    headers = supervisor["headers"]
    call = await answered_call(cf, store, headers, "m-down")
    for mode in ("down", "hang", "cut"):
        store.mode = mode
        started = time.monotonic()
        response = await cf.http.get(f"/api/calls/{call}/recording", headers=headers)
        assert response.status_code == 503, (mode, response.text)
        assert int(response.headers["retry-after"]) > 0
        assert time.monotonic() - started < 2.5  # PBX_REQUEST_TIMEOUT_SECONDS is 1 here
        cache_dir = cf.app.state.recording_cache.dir
        assert list(cache_dir.iterdir()) == [], mode  # a cut download is never kept
        await cf.db.run(lambda s: s.execute(update(Recording).values(fetching_until=None)))  # (hang: its lease)
    store.mode = None
    response = await cf.http.get(f"/api/calls/{call}/recording", headers=headers)
    assert response.status_code == 200 and response.content == AUDIO


async def test_the_rate_budget_is_shared_by_all_requests(cf, store, supervisor):
    headers = supervisor["headers"]
    one = await answered_call(cf, store, headers, "m-b1")
    two = await answered_call(cf, store, headers, "m-b2", number="79001234568")
    cf.app.state.recording_cache._budgets["mango"] = ("recordings", timedelta(seconds=30))
    assert (await cf.http.get(f"/api/calls/{one}/recording", headers=headers)).status_code == 200
    over = await cf.http.get(f"/api/calls/{two}/recording", headers=headers)
    assert over.status_code == 503 and "budget" in over.json()["detail"]
    assert store.requests["mango-api"] == 1


async def test_a_file_larger_than_the_cache_is_served_once_and_not_kept(cf, store, supervisor):
    headers = supervisor["headers"]
    call = await answered_call(cf, store, headers, "m-big")
    cf.app.state.recording_cache.max_bytes = len(AUDIO) - 1
    for _ in range(2):
        response = await cf.http.get(f"/api/calls/{call}/recording", headers=headers)
        assert response.status_code == 200 and response.content == AUDIO
    assert list(cf.app.state.recording_cache.dir.iterdir()) == []  # nothing kept, not even a part
    assert store.requests["mango-api"] == 2  # so each listening fetches it again


async def test_recordings_turned_off(recording_settings, store):
    async with running(recording_settings.model_copy(update={"recordings_enabled": False}), pbx_transport=store) as cf:
        boss = await cf.user("boss", Role.supervisor)
        call = await answered_call(cf, store, boss["headers"], "m-off")
        for path in (
            f"/api/calls/{call}/recordings",
            f"/api/calls/{call}/recording",
            "/api/examples",
            "/api/scorecards",
        ):
            assert (await cf.http.get(path, headers=boss["headers"])).status_code == 404, path
        assert store.requests["mango-api"] == 0
        assert (await cf.http.get(f"/api/calls/{call}", headers=boss["headers"])).json()["recording_id"]  # still noted
