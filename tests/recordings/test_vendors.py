"""Each vendor's notifications make recordings playable, not ready yet, or not stored; the audio
comes from the vendor's API (a local fake speaking its wire format) and never shows its link."""

import asyncio
import logging

from app.auth.models import Role
from telephony.mango.script import InboundCall
from tests.support import generic
from tests.support.calls import T, call_id, play
from tests.support.recording_api import wav
from tests.support.recordings import added, recording, recordings_of, stored
from tests.support.url_key import send as send_url_key
from tests.support.zadarma import inbound, notify


async def test_two_mango_recordings_on_one_call_and_the_audio_through_a_one_time_link(cf, store, supervisor, caplog):
    caplog.set_level(logging.DEBUG)
    audio = wav(2.0)
    store.add("rec-101", audio)
    script = InboundCall("m-rec", "79001234567", T).answered(missed_by=("102",), extension="101")
    await play(
        cf,
        script,
        stored("m-rec", "rec-101", T + 31),
        [recording("m-rec", "rec-102", "Completed", T + 20, "102", completion_code=4002)],  # too short: not kept
    )
    call = await call_id(cf, supervisor["headers"], "m-rec")
    listed = await recordings_of(cf, supervisor["headers"], call)
    assert [(r["state"], r["extension"]) for r in listed] == [("playable", "101"), ("not_stored", "102")]
    assert listed[0]["duration_seconds"] == 60  # the talk on 101's leg
    assert "rec-101" not in str(listed)

    response = await cf.http.get(f"/api/calls/{call}/recording", headers=supervisor["headers"])
    assert response.status_code == 200
    assert response.content == audio and response.headers["content-type"] == "audio/wav"
    assert store.requests["mango-api"] == 1 and store.requests["file"] == 1
    again = await cf.http.get(f"/api/calls/{call}/recordings/{listed[0]['id']}/audio", headers=supervisor["headers"])
    assert again.content == audio and store.requests["mango-api"] == 1  # served from the cache
    gone = await cf.http.get(f"/api/calls/{call}/recordings/{listed[1]['id']}/audio", headers=supervisor["headers"])
    assert (gone.status_code, gone.json()["detail"]) == (404, "not_stored")

    detail = (await cf.http.get(f"/api/calls/{call}", headers=supervisor["headers"])).text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in ("one-time-secret", "storage.mango.fake/records"):
        assert secret not in detail and secret not in logged and secret not in str(listed)


async def test_mango_recordings_not_in_the_cloud_and_not_yet_there(cf, supervisor):
    await play(
        cf,
        InboundCall("m-mail", "79001234567", T).answered(),
        [recording("m-mail", "r-mail", "Completed", T + 70, completion_code=1000, recipient="Mail")],
        InboundCall("m-wait", "79001234568", T).answered(),
        [recording("m-wait", "r-wait", "Completed", T + 70, completion_code=1000, recipient="CloudAndMail")],
        InboundCall("m-none", "79001234569", T).answered(),
    )
    headers = supervisor["headers"]
    mail = await cf.http.get(f"/api/calls/{await call_id(cf, headers, 'm-mail')}/recording", headers=headers)
    assert (mail.status_code, mail.json()["detail"]) == (404, "not_stored")
    waiting = await cf.http.get(f"/api/calls/{await call_id(cf, headers, 'm-wait')}/recording", headers=headers)
    assert (waiting.status_code, waiting.json()["detail"]) == (404, "not_ready") and waiting.json()["expected_at"]
    none = await cf.http.get(f"/api/calls/{await call_id(cf, headers, 'm-none')}/recording", headers=headers)
    assert (none.status_code, none.json()["detail"]) == (404, "no_recording")
    # Events out of order: storage reported before the recording's end changes nothing.
    await play(cf, [added("m-wait", "r-wait", T + 80)])
    [row] = await recordings_of(cf, headers, await call_id(cf, headers, "m-wait"))
    assert row["state"] == "playable"
    await play(cf, [recording("m-wait", "r-wait", "Started", T + 5)])  # a late Started does not move it back
    [row] = await recordings_of(cf, headers, await call_id(cf, headers, "m-wait"))
    assert row["state"] == "playable"


async def zadarma_call(cf, pbx_call: str, *, forged_end_rec: str | None = None) -> None:
    start = notify("NOTIFY_START", pbx_call, **inbound(pbx_call))
    answer = notify("NOTIFY_ANSWER", pbx_call, caller_id="79001234567", destination="101", internal="101")
    end_fields = {**inbound(pbx_call), "internal": "101", "duration": "60", "disposition": "answered"}
    end_fields |= {"status_code": "16", "is_recorded": "1", "call_id_with_rec": forged_end_rec or ""}
    for item in (start, answer, notify("NOTIFY_END", pbx_call, **end_fields)):
        assert (await cf.post_pbx(item)).status_code == 200
    await cf.settle()


async def notify_record(cf, pbx_call: str, recording: str) -> None:
    record = notify("NOTIFY_RECORD", pbx_call, call_id_with_rec=recording)
    record["body"].pop("call_start")  # NOTIFY_RECORD carries none
    assert (await cf.post_pbx(record)).status_code == 200
    await cf.settle()


async def test_zadarma_recording_comes_only_from_the_signed_notify_record_and_40_seconds_later(cf, store, supervisor):
    headers = supervisor["headers"]
    # NOTIFY_END's call_id_with_rec is not signed: it attaches nothing, whatever it says.
    await zadarma_call(cf, "in_forged", forged_end_rec="1-forged-rec")
    store.add("1-forged-rec", b"forged")
    forged = await call_id(cf, headers, "in_forged")
    assert await recordings_of(cf, headers, forged) == []
    assert (await cf.http.get(f"/api/calls/{forged}/recording", headers=headers)).json()["detail"] == "no_recording"

    await zadarma_call(cf, "in_real")
    store.add("1-real-rec", wav())
    await notify_record(cf, "in_real", "1-real-rec")
    call = await call_id(cf, headers, "in_real")
    [row] = await recordings_of(cf, headers, call)
    assert row["state"] == "processing" and row["expected_at"]  # Zadarma: fetch it 40 s after the notice
    early = await cf.http.get(f"/api/calls/{call}/recording", headers=headers)
    assert (early.status_code, early.json()["detail"]) == (404, "not_ready")
    assert store.requests["zadarma-api"] == 0

    await cf.db.run(lambda s: s.execute(_ready_now(row["id"])))  # 40 seconds pass
    audio = await cf.http.get(f"/api/calls/{call}/recording", headers=headers)
    assert audio.status_code == 200 and audio.content == wav()
    assert store.requests["zadarma-api"] == 1  # GET /v1/pbx/record/request/, signed, then the link

    # A recording Zadarma no longer has (its tariff's time passed): not stored, said once.
    await zadarma_call(cf, "in_gone")
    await notify_record(cf, "in_gone", "1-gone-rec")
    gone = await call_id(cf, headers, "in_gone")
    [row] = await recordings_of(cf, headers, gone)
    await cf.db.run(lambda s: s.execute(_ready_now(row["id"])))
    answer = await cf.http.get(f"/api/calls/{gone}/recording", headers=headers)
    assert (answer.status_code, answer.json()["detail"]) == (404, "not_stored")
    assert [r["state"] for r in await recordings_of(cf, headers, gone)] == ["not_stored"]
    assert store.requests["zadarma-api"] == 2


def _ready_now(recording_id: int):
    from sqlalchemy import update

    from app.database import utcnow
    from app.recordings.models import Recording

    return update(Recording).where(Recording.id == recording_id).values(ready_at=utcnow())


async def test_sipuni_link_only_from_sipunis_own_host(cf, store, supervisor, caplog):
    caplog.set_level(logging.DEBUG)
    headers = supervisor["headers"]
    link = "https://sipuni.com/api/crm/record?id=1774372584.533596&hash=s3cr3th4sh"
    store.add(link, b"ID3-mp3-bytes", "audio/mpeg")
    foreign = "https://evil.example/api/crm/record?id=1&hash=other"
    store.add(foreign, b"not sipuni's")
    for call, record_link in (("1774372584.533596", link), ("1774372584.533597", foreign)):
        fields = {
            "event": "2",
            "call_id": call,
            "src_type": "1",
            "src_num": "79001234567",
            "dst_type": "2",
            "dst_num": "201",
            "short_dst_num": "201",
            "timestamp": "1774372602",
            "status": "ANSWER",
            "call_start_timestamp": "1774372584",
            "call_answer_timestamp": "1774372594",
            "last_called": "201",
            "call_record_link": record_link,
        }
        assert (await send_url_key(cf, {"path": "/pbx/sipuni", "body": fields})).status_code == 200
    await cf.settle()
    ours = await call_id(cf, headers, "1774372584.533596")
    audio = await cf.http.get(f"/api/calls/{ours}/recording", headers=headers)
    assert audio.status_code == 200 and audio.content == b"ID3-mp3-bytes"
    assert audio.headers["content-type"] == "audio/mpeg"  # as the PBX labelled the file
    assert await recordings_of(cf, headers, await call_id(cf, headers, "1774372584.533597")) == []
    assert store.requests["file"] == 1
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert (
        "s3cr3th4sh" not in logged
        and "s3cr3th4sh" not in (await cf.http.get(f"/api/calls/{ours}", headers=headers)).text
    )


async def test_generic_links_only_to_listed_hosts_redirects_included(cf, store, supervisor):
    headers = supervisor["headers"]
    listed, unlisted = "https://rec.example/calls/g1.wav?token=abc", "https://elsewhere.example/g2.wav"
    store.add(listed, wav())
    store.add(unlisted, wav())
    redirected = "https://rec.example/calls/g3.wav"
    store.redirects[redirected] = unlisted
    for call, url in (("g1", listed), ("g2", unlisted), ("g3", redirected)):
        for payload in generic.call_events(call, "+79001234567", "101"):
            assert (await generic.send(cf, payload)).status_code == 200
        event = {"event": "recording", "call_id": call, "recording": url, "extension": "101", "timestamp": 1760000100}
        assert (await generic.send(cf, event)).status_code == 200
    await cf.settle()
    ok = await cf.http.get(f"/api/calls/{await call_id(cf, headers, 'g1')}/recording", headers=headers)
    assert ok.status_code == 200 and ok.content == wav()
    for call in ("g2", "g3"):
        refused = await cf.http.get(f"/api/calls/{await call_id(cf, headers, call)}/recording", headers=headers)
        assert refused.status_code == 403, refused.text
    assert store.requests["file"] == 1 and store.requests["redirect"] == 1  # the unlisted host was never asked
    timeline = (await cf.http.get(f"/api/calls/{await call_id(cf, headers, 'g1')}", headers=headers)).text
    assert "rec.example" not in timeline


async def test_concurrent_first_requests_download_once(cf, store, supervisor):
    store.add("rec-c", wav(3.0))
    store.delay = 0.2
    await play(cf, InboundCall("m-c", "79001234567", T).answered(), stored("m-c", "rec-c", T + 11))
    call = await call_id(cf, supervisor["headers"], "m-c")
    operators = [await cf.user(f"sup{n}", Role.supervisor) for n in range(5)]
    answers = await asyncio.gather(
        *(cf.http.get(f"/api/calls/{call}/recording", headers=user["headers"]) for user in operators)
    )
    assert [a.status_code for a in answers] == [200] * 5 and all(a.content == wav(3.0) for a in answers)
    assert store.requests["mango-api"] == 1 and store.requests["file"] == 1
