"""The invariants of ``docs/invariants.md``, checked through callfunnel's API after a hard run."""

import asyncio
import json
from collections import defaultdict
from datetime import datetime

import httpx
import websockets

from tests.resilience.conftest import all_pages

OFFER_STATUSES = ("ringing", "accepted", "rejected", "no_answer", "revoked")


async def settled_calls(api: httpx.AsyncClient, expected: int, timeout: float = 90.0) -> list[dict]:
    """Every call, once callfunnel has given each of the ``expected`` calls its outcome."""
    async with asyncio.timeout(timeout):
        while True:
            calls = await all_pages(api, "/api/calls")
            if len(calls) >= expected and all(call["outcome"] for call in calls):
                return calls
            await asyncio.sleep(0.5)


async def assert_missed_numbers_are_on_the_callback_list(api: httpx.AsyncClient, calls: list[dict]) -> None:
    """Invariant 1: a missed or abandoned number that has not been reached since is on the list."""
    last_answered: dict[str, str] = {}
    for call in calls:
        if call["outcome"] == "answered" and call["number"]:
            last_answered[call["number"]] = max(last_answered.get(call["number"], ""), call["started_at"])
    owed = {
        call["number"]
        for call in calls
        if call["outcome"] in ("missed", "abandoned") and call["started_at"] > last_answered.get(call["number"], "")
    }
    listed = {cb["phone"] for cb in await all_pages(api, "/api/callbacks", status="open")}
    assert owed <= listed, f"missed numbers not on the callback list: {sorted(owed - listed)[:10]}"


async def assert_nobody_had_two_calls(url: str, tokens: list[str], calls: list[dict]) -> None:
    """Invariant 2: no operator's offers overlap, and no operator talked on two calls at once."""
    for token in tokens:
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as mine:
            offers = []
            for status in OFFER_STATUSES:
                offers += (await mine.get("/api/offers", params={"status": status})).json()
        _assert_disjoint([(o["created_at"], o["ended_at"] or o["expires_at"]) for o in offers], f"offers {offers}")
    talks = defaultdict(list)
    for call in calls:
        if call["operator_id"] and call["answered_at"]:
            talks[call["operator_id"]].append((call["answered_at"], call["ended_at"]))
    for operator_id, spans in talks.items():
        _assert_disjoint(spans, f"calls of operator {operator_id}")


def _assert_disjoint(spans: list[tuple[str, str]], what: str) -> None:
    ordered = sorted((datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in spans)
    assert all(start <= end for start, end in ordered), f"ended before it began in {what}"
    for (_, end), (start, _) in zip(ordered, ordered[1:], strict=False):
        assert start >= end, f"overlap in {what}: {start} before {end}"


class FeedRecorder:
    """A supervisor's live feed, recorded from connect to ``stop()``."""

    def __init__(self, url: str, token: str) -> None:
        self._url = url.replace("http://", "ws://") + f"/ws/supervisor?token={token}"
        self.frames: list[dict] = []
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> "FeedRecorder":
        self._socket = await websockets.connect(self._url, max_size=2**22)
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for raw in self._socket:
            self.frames.append(json.loads(raw))

    async def __aexit__(self, *_exc) -> None:
        await self._socket.close()
        await self._task

    def missed_call_ids(self) -> list[int]:
        return [frame["call_id"] for frame in self.frames if frame["type"] == "missed_call"]
