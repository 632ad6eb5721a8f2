"""Scripted MANGO calls played through the webhook endpoint, and the callback list they leave."""

from telephony.mango.script import InboundCall
from tests.support.app import signed_mango

NUMBER, E164 = "79001234567", "+79001234567"
T = 1750000000  # 2025-06-15 15:06:40 UTC


async def play(cf, *scripts) -> None:
    for script in scripts:
        for path, payload in script:
            assert (await cf.post_pbx(signed_mango(path, payload))).status_code == 200
    await cf.settle()


def missed(entry: str, start: int, number: str = NUMBER):
    return InboundCall(entry, number, start).missed()


def answered(entry: str, start: int, number: str = NUMBER):
    return InboundCall(entry, number, start).answered(extension="101")


async def callbacks(cf, headers, status: str | None = None) -> list[dict]:
    params = {"status": status} if status else {}
    return (await cf.http.get("/api/callbacks", params=params, headers=headers)).json()["items"]


async def call_id(cf, headers, entry: str) -> int:
    calls = (await cf.http.get("/api/calls", params={"limit": 500}, headers=headers)).json()["items"]
    return next(c["id"] for c in calls if c["external_id"] == entry)


async def final_state(cf, headers) -> list[tuple]:
    """Every call's record and the open callbacks (closed ones keep the order things happened in)."""
    calls = (await cf.http.get("/api/calls", params={"limit": 500}, headers=headers)).json()["items"]
    callbacks = (await cf.http.get("/api/callbacks", params={"limit": 500}, headers=headers)).json()["items"]
    return sorted(
        (
            c["external_id"],
            c["direction"],
            c["outcome"],
            c["state"],
            c["number"],
            c["operator_extension"],
            c["answered_at"],
            c["started_at"],
            c["end_reason"],
            c["ended_in"],
        )
        for c in calls
    ) + sorted(
        (b["phone"], b["missed_count"], b["reason"], b["first_missed_at"], b["due_at"])
        for b in callbacks
        if b["status"] in ("open", "in_progress")
    )
