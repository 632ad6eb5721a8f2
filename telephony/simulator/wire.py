"""How the simulated PBX tells callfunnel about a call, in each vendor's wire format.

Every request is built and signed by the vendor's own module (the payload shapes of
``pbx-formats.md``), so the simulator exercises exactly what a real PBX sends.  Sync vendors
(generic, Zadarma) return callfunnel's routing decision read from the webhook's reply.
"""

import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx

from telephony import generic
from telephony.mango import webhooks as mango
from telephony.mango.script import InboundCall
from telephony.zadarma import webhooks as zadarma


@dataclass
class Route:
    """callfunnel's answer: ``ring`` these extensions, ``wait`` and ask again, ``reject``, or ``none`` (own plan)."""

    action: str = "none"
    extensions: list[str] = field(default_factory=list)
    timeout: float = 20.0
    retry_after: float = 3.0
    reason: str | None = None


@dataclass
class SimCall:
    key: str
    caller: str
    line: str
    started: float
    seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    legs: dict = field(default_factory=dict)  # vendor bookkeeping (MANGO leg numbers per extension)


class Rejected(RuntimeError):
    """callfunnel refused a webhook (not 2xx): the simulated PBX reports it and goes on."""


class Wire:
    vendor: str

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.webhooks = 0
        self.latencies: list[float] = []  # seconds from sending each webhook to its reply

    async def _post(self, url: str, **kwargs) -> httpx.Response:
        self.webhooks += 1
        sent = time.perf_counter()
        response = await self.http.post(url, **kwargs)
        self.latencies.append(time.perf_counter() - sent)
        if response.status_code != 200:
            raise Rejected(f"{url}: HTTP {response.status_code} {response.text[:200]}")
        return response

    def new_call(self, n: int, caller: str, line: str) -> SimCall:
        return SimCall(key=f"sim-{int(time.time())}-{n}", caller=caller, line=line, started=time.time())

    async def abandon_in_ivr(self, call: SimCall) -> None:
        """The caller hangs up at once (this PBX has no voice menu we report): arrived, then gone."""
        await self.arrive(call)
        await self.ended(call, reason="caller_hung_up", extension=None)


class GenericWire(Wire):
    vendor = generic.VENDOR

    def __init__(self, http: httpx.AsyncClient, *, secret: str) -> None:
        super().__init__(http)
        self._secret = secret

    async def _send(self, call: SimCall, event: str, **fields) -> dict:
        seq = next(call.seq)
        payload = {"event": event, "call_id": call.key, "event_id": f"{call.key}:{seq}", "seq": seq, **fields}
        payload["timestamp"] = round(time.time(), 3)
        body = json.dumps(payload).encode()
        headers = {generic.SIGNATURE_HEADER: generic.sign(self._secret, body), "content-type": "application/json"}
        return (await self._post("/pbx/generic/events", content=body, headers=headers)).json()

    @staticmethod
    def _route(reply: dict) -> Route:
        route = reply.get("route") or {}
        return Route(
            action=route.get("action", "none"),
            extensions=[t["extension"] for t in route.get("targets", [])],
            timeout=route.get("timeout") or 20.0,
            retry_after=route.get("retry_after") or 3.0,
            reason=route.get("reason"),
        )

    async def arrive(self, call: SimCall) -> Route:
        return self._route(await self._send(call, "incoming", **{"from": call.caller, "to": call.line}))

    async def ask_again(self, call: SimCall) -> Route:
        return self._route(await self._send(call, "waiting"))

    async def ringing(self, call: SimCall, extension: str) -> None:
        await self._send(call, "ringing", extension=extension)

    async def answered(self, call: SimCall, extension: str) -> None:
        await self._send(call, "answered", extension=extension)

    async def ring_ended(self, call: SimCall, extension: str, reason: str) -> None:
        await self._send(call, "ended", extension=extension, reason=reason)

    async def ended(self, call: SimCall, *, reason: str, extension: str | None) -> None:
        if extension:
            await self._send(call, "ended", extension=extension, reason="completed")
        await self._send(call, "ended", reason=reason)


class ZadarmaWire(Wire):
    vendor = zadarma.VENDOR
    _DISPOSITION = {"completed": "answered", "caller_hung_up": "cancel"}

    def __init__(self, http: httpx.AsyncClient, *, secret: str, timezone: str, group: str) -> None:
        super().__init__(http)
        self._secret, self._tz, self._group = secret, ZoneInfo(timezone), group

    def new_call(self, n: int, caller: str, line: str) -> SimCall:
        call = super().new_call(n, caller, line)
        call.key = f"in_sim{int(call.started)}x{n}"
        return call

    async def _send(self, call: SimCall, event: str, **fields) -> str:
        start = datetime.fromtimestamp(call.started, tz=UTC).astimezone(self._tz).strftime("%Y-%m-%d %H:%M:%S")
        form = {"event": event, "call_start": start, "pbx_call_id": call.key, "caller_id": call.caller.lstrip("+")}
        form |= {"called_did": call.line.lstrip("+")} | fields
        headers = {zadarma.SIGNATURE_HEADER: zadarma.sign(self._secret, form)}
        return (await self._post("/pbx/zadarma", data=form, headers=headers)).text

    def _route(self, reply: str) -> Route:
        body = json.loads(reply) if reply.strip() else {}
        target = str(body.get("redirect", ""))
        if target and target != self._group:
            return Route(action="ring", extensions=[target], timeout=float(body.get("return_timeout") or 20))
        return Route(action="none")  # the PBX's own scenario (or group) goes on

    async def arrive(self, call: SimCall) -> Route:
        return self._route(await self._send(call, "NOTIFY_START"))

    async def ask_again(self, call: SimCall) -> Route:
        """The call came back to the IVR (``return_timeout`` passed): the scenario's ``wait_dtmf`` default fired."""
        choice = {"wait_dtmf[name]": "queue", "wait_dtmf[digits]": "", "wait_dtmf[default_behaviour]": "1"}
        return self._route(await self._send(call, "NOTIFY_IVR", **choice))

    async def ringing(self, call: SimCall, extension: str) -> None:
        await self._send(call, "NOTIFY_INTERNAL", internal=extension)

    async def answered(self, call: SimCall, extension: str) -> None:
        await self._send(call, "NOTIFY_ANSWER", destination=extension, internal=extension)

    async def ring_ended(self, call: SimCall, extension: str, reason: str) -> None:
        """Zadarma reports no end of one extension's ringing: the offer runs out on callfunnel's timer."""

    async def ended(self, call: SimCall, *, reason: str, extension: str | None) -> None:
        disposition = self._DISPOSITION.get(reason, "no answer")
        duration = str(int(time.time() - call.started))
        fields = {"duration": duration, "disposition": disposition, "status_code": "16", "is_recorded": "0"}
        if extension:
            fields["internal"] = extension
        await self._send(call, "NOTIFY_END", **fields)


class MangoWire(Wire):
    """MANGO: legs on ``events/call``, the end on ``events/summary``; decisions come as ``commands/route``."""

    vendor = mango.VENDOR
    _CODES = {"completed": 1110, "caller_hung_up": 1110, "no_answer": 1111, "rejected": 1122, "queue_timeout": 1163}

    def __init__(self, http: httpx.AsyncClient, *, api_key: str, salt: str, group: str) -> None:
        super().__init__(http)
        self._key, self._salt, self._group = api_key, salt, group

    def new_call(self, n: int, caller: str, line: str) -> SimCall:
        call = super().new_call(n, caller, line)
        call.key = f"sim{int(call.started)}x{n}"
        call.legs["script"] = InboundCall(
            entry_id=call.key,
            caller=caller.lstrip("+"),
            start=int(call.started),
            line=line.lstrip("+"),
            group=self._group,
        )
        call.legs["next"] = 3  # 1: IVR, 2: queue, then one per extension rung
        return call

    def queue_leg(self, call: SimCall) -> str:
        return call.legs["script"].leg(2)

    async def _send(self, path: str, payload: dict) -> None:
        await self._post(f"/pbx/mango/{path}", data=mango.signed_form(self._key, self._salt, payload))

    async def _leg(self, call: SimCall, leg: int, state: str, location: str, **extra) -> None:
        script: InboundCall = call.legs["script"]
        seq = call.legs.setdefault(("seq", leg), itertools.count(1))
        await self._send(*script.event(leg, next(seq), int(time.time()), state, location, **extra))

    async def arrive(self, call: SimCall) -> Route:
        script: InboundCall = call.legs["script"]
        to_line = {"to": {"number": script.line, "line_number": script.line}}
        await self._leg(call, 1, "Appeared", "ivr", **to_line)
        await self._leg(call, 1, "Disconnected", "ivr", disconnect_reason=1100, **to_line)
        await self._leg(call, 2, "Appeared", "queue", **script.to_queue())
        return Route(action="none")

    async def abandon_in_ivr(self, call: SimCall) -> None:
        script: InboundCall = call.legs["script"]
        to_line = {"to": {"number": script.line, "line_number": script.line}}
        await self._leg(call, 1, "Appeared", "ivr", **to_line)
        await self._leg(call, 1, "Disconnected", "ivr", disconnect_reason=1110, **to_line)
        await self._send(*script.summary(int(time.time()), answered_at=None, extension=self._group, code=1110))

    async def ringing(self, call: SimCall, extension: str) -> None:
        call.legs[extension] = leg = call.legs["next"]
        call.legs["next"] += 1
        await self._leg(call, leg, "Appeared", "abonent", **call.legs["script"].to_agent(extension))

    async def answered(self, call: SimCall, extension: str) -> None:
        script: InboundCall = call.legs["script"]
        call.legs["answered_at"] = int(time.time())
        await self._leg(call, call.legs[extension], "Connected", "abonent", **script.to_agent(extension))
        await self._leg(call, 2, "Disconnected", "queue", disconnect_reason=1100, **script.to_queue())

    async def ring_ended(self, call: SimCall, extension: str, reason: str) -> None:
        code = self._CODES.get(reason, 1111)
        agent = call.legs["script"].to_agent(extension)
        await self._leg(call, call.legs[extension], "Disconnected", "abonent", disconnect_reason=code, **agent)

    async def ended(self, call: SimCall, *, reason: str, extension: str | None) -> None:
        script: InboundCall = call.legs["script"]
        code, now = self._CODES.get(reason, 1100), int(time.time())
        if extension:
            agent = script.to_agent(extension)
            await self._leg(call, call.legs[extension], "Disconnected", "abonent", disconnect_reason=code, **agent)
        else:
            await self._leg(call, 2, "Disconnected", "queue", disconnect_reason=code, **script.to_queue())
        answered_at = call.legs.get("answered_at")
        await self._send(*script.summary(now, answered_at=answered_at, extension=extension or self._group, code=code))

    async def ask_again(self, call: SimCall) -> Route:
        return Route(action="none")  # MANGO asks nothing: a decision comes as a command, or the group rings

    async def route_result(self, command_id: str, result: int) -> None:
        await self._send("result/route", {"command_id": command_id, "result": result})
