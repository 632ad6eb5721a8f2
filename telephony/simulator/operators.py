"""Simulated operators: a softphone the virtual PBX rings, and the operator's panel on ``/ws/operator``.

Each logs in over the panel (``set_state available``), sees offers with the caller's card,
and when the phone rings decides like a person would: accepts on the panel after a moment and
picks up, or rejects, or lets it ring out.  After a call: a disposition now and then, the end
of wrap-up, sometimes a short break.
"""

import asyncio
import contextlib
import itertools
import json
import logging
import random
from dataclasses import dataclass

import websockets

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Behaviour:
    answer_delay: tuple[float, float] = (0.5, 3.0)  # seconds from the first ring to picking up
    reject_share: float = 0.05
    ring_out_share: float = 0.05
    break_share: float = 0.05  # after a call, a short break
    break_seconds: tuple[float, float] = (5.0, 15.0)
    disposition_share: float = 0.5


class SimOperator:
    def __init__(self, *, name: str, extension: str, token: str, ws_url: str, behaviour: Behaviour, rng: random.Random):
        self.name, self.extension = name, extension
        self._url = f"{ws_url}/ws/operator?token={token}"
        self._behaviour, self._rng = behaviour, rng
        self.state = "offline"  # as callfunnel last told us
        self.ringing_call: str | None = None  # the PBX call ringing this phone
        self.talking_call: str | None = None
        self._offers: dict[str, int] = {}  # caller's number -> ringing offer id on the panel
        self._ended_calls: list[int] = []  # callfunnel's ids of my calls that ended (for dispositions)
        self._socket = None
        self._ids = itertools.count(1)
        self._replies: dict[str, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None
        self.frames: list[dict] = []  # every event frame received, for checks

    # -- the panel ---------------------------------------------------------------------------------
    async def log_in(self) -> None:
        self._socket = await websockets.connect(self._url, open_timeout=10, max_size=2**20)
        self._reader = asyncio.create_task(self._read(), name=f"panel-{self.extension}")
        await self.request("set_state", state="available")

    async def log_out(self) -> None:
        with contextlib.suppress(Exception):
            await self.request("set_state", state="offline")
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def request(self, kind: str, **fields) -> dict:
        """Sends a client frame and waits for its ``ack`` or ``error``."""
        frame_id = str(next(self._ids))
        reply = self._replies[frame_id] = asyncio.get_running_loop().create_future()
        await self._socket.send(json.dumps({"type": kind, "v": 1, "id": frame_id, **fields}))
        try:
            async with asyncio.timeout(15):
                return await reply
        finally:
            self._replies.pop(frame_id, None)

    async def _read(self) -> None:
        async for raw in self._socket:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind in ("ack", "error") and frame.get("id") in self._replies:
                self._replies[frame["id"]].set_result(frame)
                continue
            self.frames.append(frame)
            if kind == "snapshot":
                self.state = frame["operator"]["state"]
            elif kind == "state":
                self.state = frame["state"]
            elif kind == "offer":
                self._offers[frame["card"]["number"]] = frame["offer_id"]
            elif kind == "offer_revoked":
                self._offers = {n: o for n, o in self._offers.items() if o != frame["offer_id"]}
            elif kind == "call_update" and frame["status"] == "ended":
                self._ended_calls.append(frame["call_id"])

    # -- the phone ---------------------------------------------------------------------------------
    @property
    def phone_free(self) -> bool:
        return self.ringing_call is None and self.talking_call is None

    async def pick_up(self, caller: str) -> str | None:
        """The phone rings: ``answer``, ``reject`` or None (let it ring), after a human moment."""
        behaviour, draw = self._behaviour, self._rng.random()
        await asyncio.sleep(self._rng.uniform(*behaviour.answer_delay))
        offer_id = self._offers.get(caller)
        if draw < behaviour.ring_out_share:
            return None
        if draw < behaviour.ring_out_share + behaviour.reject_share:
            if offer_id is not None:
                await self.request("reject", offer_id=offer_id)
            return "reject"
        if offer_id is not None:
            reply = await self.request("accept", offer_id=offer_id)
            if reply["type"] == "error":  # somebody else took it (ring-all), or the caller is gone
                return None
        return "answer"

    async def after_call(self) -> None:
        """Wrap-up: a disposition now and then, back to available, sometimes a break first."""
        behaviour = self._behaviour
        await asyncio.sleep(self._rng.uniform(0.2, 1.0))
        if self._ended_calls and self._rng.random() < behaviour.disposition_share:
            call_id = self._ended_calls[-1]
            await self.request("disposition", call_id=call_id, note="simulated call", next_step="send the offer")
        if self._rng.random() < behaviour.break_share:
            await self.request("set_state", state="break")
            await asyncio.sleep(self._rng.uniform(*behaviour.break_seconds))
            await self.request("set_state", state="available")
        elif self.state == "wrap_up":
            await self.request("wrap_up_done")
