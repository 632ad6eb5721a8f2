"""MANGO recording notices, a call answered and recorded, and what the API says of its recordings."""

from telephony.mango.script import InboundCall
from tests.support.calls import T, call_id, play
from tests.support.recording_api import wav

RECORD_ADDED = "events/record/added"


def recording(entry: str, recording_id: str, state: str, at: int, extension: str = "101", **extra):
    payload = {
        "recording_id": recording_id,
        "recording_state": state,
        "seq": {"Started": 1, "Continued": 2}.get(state, 3),
        "call_id": f"leg-{extension}",
        "entry_id": entry,
        "extension": extension,
        "timestamp": at,
        **extra,
    }
    return "events/recording", payload


def added(entry: str, recording_id: str, at: int):
    return RECORD_ADDED, {
        "entry_id": entry,
        "product_id": 1,
        "user_id": 2,
        "timestamp": at,
        "recording_id": recording_id,
    }


def stored(entry: str, recording_id: str, at: int, extension: str = "101"):
    """Started, Completed to the cloud, then placed in storage."""
    return [
        recording(entry, recording_id, "Started", at, extension),
        recording(entry, recording_id, "Completed", at + 30, extension, completion_code=1000, recipient="Cloud"),
        added(entry, recording_id, at + 40),
    ]


async def recordings_of(cf, headers, call: int) -> list[dict]:
    response = await cf.http.get(f"/api/calls/{call}/recordings", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


AUDIO = wav(1.0)  # 8,044 bytes


async def answered_call(cf, store, headers, entry: str, *, missed_by=(), number="79001234567") -> int:
    store.add(f"rec-{entry}", AUDIO)
    script = InboundCall(entry, number, T).answered(missed_by=missed_by, extension="101")
    await play(cf, script, stored(entry, f"rec-{entry}", T + 31))
    return await call_id(cf, headers, entry)


async def ticket_url(cf, headers, call: int, recording: int | None = None) -> str:
    body = {"recording_id": recording} if recording else None
    response = await cf.http.post(f"/api/calls/{call}/recording-ticket", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["expires_at"]
    return response.json()["url"]
