"""The virtual PBX: callers arrive, wait, are rung through to operators, talk, hang up.

It obeys callfunnel the way the vendor's PBX does: a sync vendor's webhook reply (ring these
extensions, wait, reject), MANGO ``commands/route`` on its command API, and otherwise its own
group distribution (the free operator idle longest) — what a real PBX does when callfunnel has
no say or cannot be reached.  Every call ends, whatever callfunnel answers; the truth is kept
in the tally and the PBX's call history.
"""

import asyncio
import logging
import random
import time
from dataclasses import dataclass

import httpx

from telephony.simulator.history import FinishedCall, PbxHistory
from telephony.simulator.operators import SimOperator
from telephony.simulator.tally import Tally
from telephony.simulator.wire import MangoWire, Rejected, Route, SimCall, Wire

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Callers:
    rate: float  # calls a second (Poisson arrivals)
    patience: float = 60.0  # mean seconds a caller waits before hanging up (exponential, at least 5)
    ivr_hangup_share: float = 0.05  # hang up in the voice menu, before reaching a queue
    repeat_share: float = 0.3  # of those not answered, call again a little later
    talk_seconds: tuple[float, float] = (3.0, 15.0)
    max_wait: float = 300.0  # the PBX's own queue limit
    group_delay: float = 2.0  # MANGO: how long a route command may take before the group rings


class VirtualPbx:
    def __init__(
        self,
        *,
        wire: Wire,
        operators: list[SimOperator],
        lines: list[str],
        callers: Callers,
        rng: random.Random,
        history: PbxHistory,
        numbers: list[str],
        number_prefix: str,
    ) -> None:
        self.wire, self.callers, self.rng, self.history = wire, callers, rng, history
        self.operators = {op.extension: op for op in operators}
        self.lines, self.numbers, self._prefix = lines, numbers, number_prefix
        self.tally = Tally()
        self._tasks: set[asyncio.Task] = set()
        self._routes: dict[str, asyncio.Queue] = {}  # MANGO queue leg -> route commands for it
        self._idle_since = {ext: 0.0 for ext in self.operators}
        self._busy_numbers: set[str] = set()
        self._n = 0

    # -- arrivals ----------------------------------------------------------------------------------
    async def run(self, duration: float, *, calls: int | None = None, drain_timeout: float = 600.0) -> None:
        """Callers arrive for ``duration`` seconds (or until ``calls`` have come); then the calls in
        progress are let to finish."""
        started = time.monotonic()
        next_arrival = started
        while calls is None or self._n < calls:
            next_arrival += self.rng.expovariate(self.callers.rate)
            if next_arrival - started >= duration:
                break
            await asyncio.sleep(max(0.0, next_arrival - time.monotonic()))
            self.start_call(self._caller(), started + duration)
        async with asyncio.timeout(drain_timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def start_call(self, caller: str, until: float) -> None:
        self._n += 1
        task = asyncio.create_task(self._call(self._n, caller, until), name=f"call-{self._n}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _caller(self) -> str:
        if self.numbers and self.rng.random() < 0.5:
            number = self.rng.choice(self.numbers)
            if number not in self._busy_numbers:
                return number
        return f"{self._prefix}{self.rng.randrange(10**5):05d}"

    # -- one call ----------------------------------------------------------------------------------
    async def _call(self, n: int, caller: str, until: float) -> None:
        self._busy_numbers.add(caller)
        call = self.wire.new_call(n, caller, self.rng.choice(self.lines))
        self.tally.arrived()
        patience = max(5.0, self.rng.expovariate(1 / self.callers.patience))
        outcome, reason, extension, waited = "abandoned", "caller_hung_up", None, None
        try:
            if self.rng.random() < self.callers.ivr_hangup_share:
                await asyncio.sleep(self.rng.uniform(0.5, 3.0))
                await self._tell(self.wire.abandon_in_ivr(call))
                waited = None if isinstance(self.wire, MangoWire) else 0.0  # the others report no menu
            else:
                outcome, reason, extension, waited = await self._queue(call, patience)
        except Exception:
            log.exception("simulated call %s failed", call.key)
            raise
        finally:
            self._busy_numbers.discard(caller)
            self.tally.ended(outcome=outcome, caller=caller, waited=waited)
            self.history.add(
                FinishedCall(
                    call.key, caller, call.line, call.started, time.time(), call.legs.get("answered"), extension, reason
                )
            )
        if outcome != "answered" and self.rng.random() < self.callers.repeat_share:
            await asyncio.sleep(self.rng.uniform(5.0, 30.0))
            if time.monotonic() < until and caller not in self._busy_numbers:
                self.start_call(caller, until)

    async def _queue(self, call: SimCall, patience: float) -> tuple[str, str, str | None, float | None]:
        """From the queue to the end of the call: (outcome, reason, who answered, seconds waited)."""
        entered = time.time()
        gives_up, limit = entered + patience, entered + self.callers.max_wait
        if isinstance(self.wire, MangoWire):
            self._routes[self.wire.queue_leg(call)] = asyncio.Queue()
        self.tally.waiting += 1
        try:
            route = await self._decision(self.wire.arrive(call))
            while True:
                answered_by = await self._follow(call, route, until=min(gives_up, limit))
                if answered_by is not None:
                    waited = time.time() - entered
                    self.tally.waiting -= 1
                    await self._talk(call, answered_by)
                    return "answered", "completed", answered_by, waited
                if route.action == "reject":
                    await self._tell(self.wire.ended(call, reason=route.reason or "no_operators", extension=None))
                    return "missed", route.reason or "no_operators", None, time.time() - entered
                now = time.time()
                if now >= gives_up or now >= limit:
                    reason = "caller_hung_up" if now >= gives_up else "queue_timeout"
                    await self._tell(self.wire.ended(call, reason=reason, extension=None))
                    outcome = "abandoned" if reason == "caller_hung_up" else "missed"
                    return outcome, reason, None, now - entered
                route = await self._decision(self.wire.ask_again(call))
        finally:
            if call.legs.get("answered") is None:
                self.tally.waiting -= 1
            if isinstance(self.wire, MangoWire):
                self._routes.pop(self.wire.queue_leg(call), None)

    async def _follow(self, call: SimCall, route: Route, *, until: float) -> str | None:
        """Does what the route says (or the PBX's own plan); returns the extension that answered."""
        if route.action == "ring":
            return await self._ring(call, route.extensions, min(route.timeout, until - time.time()))
        if route.action == "reject":
            return None
        if route.action == "wait":
            await asyncio.sleep(max(0.0, min(route.retry_after, until - time.time())))
            return None
        if isinstance(self.wire, MangoWire):
            command = await self._route_command(call, timeout=min(self.callers.group_delay, until - time.time()))
            if command is not None:
                extension = str(command["to_number"])
                answered = await self._ring(call, [extension], min(20.0, until - time.time()))
                await self._tell(self.wire.route_result(command["command_id"], 1000))
                return answered
        free = self._free_operator()
        if free is None:
            await asyncio.sleep(max(0.0, min(1.0, until - time.time())))
            return None
        return await self._ring(call, [free], min(20.0, until - time.time()))

    async def _ring(self, call: SimCall, extensions: list[str], timeout: float) -> str | None:
        phones = [self.operators[ext] for ext in extensions if ext in self.operators and self.operators[ext].phone_free]
        if not phones or timeout <= 0:
            await asyncio.sleep(0.2)
            return None
        for phone in phones:
            phone.ringing_call = call.key
            await self._tell(self.wire.ringing(call, phone.extension))
        choices = {asyncio.create_task(phone.pick_up(call.caller)): phone for phone in phones}
        winner, pending, answers = None, set(choices), {}
        deadline = time.monotonic() + timeout
        while pending and winner is None:
            done, pending = await asyncio.wait(pending, timeout=max(0.0, deadline - time.monotonic()),
                                               return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
            if not done:
                break
            for task in done:
                answers[choices[task]] = task.result() if not task.exception() else None
                if answers[choices[task]] == "answer" and winner is None:
                    winner = choices[task]
        for task in pending:
            task.cancel()
        for phone in phones:
            phone.ringing_call = None
            if phone is not winner:
                reason = {"reject": "rejected", "answer": "completed"}.get(answers.get(phone), "no_answer")
                await self._tell(self.wire.ring_ended(call, phone.extension, reason))
        if winner is None:
            return None
        winner.talking_call = call.key
        call.legs["answered"] = time.time()
        await self._tell(self.wire.answered(call, winner.extension))
        return winner.extension

    async def _talk(self, call: SimCall, extension: str) -> None:
        operator = self.operators[extension]
        try:
            await asyncio.sleep(self.rng.uniform(*self.callers.talk_seconds))
            await self._tell(self.wire.ended(call, reason="completed", extension=extension))
        finally:
            operator.talking_call = None
            self._idle_since[extension] = time.monotonic()
        task = asyncio.create_task(operator.after_call(), name=f"after-call-{extension}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _free_operator(self) -> str | None:
        """The PBX's own group: the free logged-in phone idle longest."""
        free = [ext for ext, op in self.operators.items() if op.phone_free and op.state == "available"]
        return min(free, key=lambda ext: (self._idle_since[ext], ext)) if free else None

    # -- MANGO commands ----------------------------------------------------------------------------
    async def on_route(self, command: dict) -> None:
        """A ``commands/route`` reached the PBX's API: for the call whose queue leg it names."""
        waiting = self._routes.get(str(command.get("call_id")))
        if waiting is not None:
            await waiting.put(command)
        else:  # the call is no longer waiting: MANGO's result 4101
            await self._tell(self.wire.route_result(command["command_id"], 4101))

    async def _route_command(self, call: SimCall, *, timeout: float) -> dict | None:
        try:
            async with asyncio.timeout(max(0.0, timeout)):
                return await self._routes[self.wire.queue_leg(call)].get()
        except TimeoutError:
            return None

    # -- talking to callfunnel ---------------------------------------------------------------------
    async def _decision(self, request) -> Route:
        return await self._tell(request) or Route()

    async def _tell(self, request):
        """A webhook callfunnel refused or could not take is counted; the PBX goes on with its own plan."""
        try:
            return await request
        except (Rejected, httpx.HTTPError) as exc:
            self.tally.webhooks_refused += 1
            log.warning("callfunnel did not take a webhook: %r", exc)
            return None
