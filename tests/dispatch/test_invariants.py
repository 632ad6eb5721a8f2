"""Invariants 1 and 2 of the design under random interleavings (hypothesis).

Each example plays a random sequence of arrivals, PBX polls, accepts, rejects, ring-outs,
answers, hang-ups, operator state changes, timer ticks and restarts through the real HTTP
API, checking after every step that no operator holds two offers or two calls and that no
offer rings for an operator who is offline, on break or in wrap-up; at the end every call has
exactly one outcome and every unanswered one is on the callback list.
"""

import asyncio
import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.auth.models import Role
from app.callbacks.models import Callback
from app.calls.models import Call, CallLeg, CallState
from app.dispatch.models import Offer, OfferStatus
from app.operators.models import Operator, OperatorState
from routing import Strategy
from schemas.pbx_events import LegKind, LegState
from tests.support.app import DatabaseCopies, running, settings_for
from tests.support.desk import Desk

EXTENSIONS = ("101", "102", "103")
CALLS = 6

steps = st.one_of(
    st.tuples(st.just("arrive"), st.integers(0, CALLS - 1)),
    st.tuples(st.just("poll"), st.integers(0, CALLS - 1)),
    st.tuples(st.just("accept"), st.sampled_from(EXTENSIONS)),
    st.tuples(st.just("reject"), st.sampled_from(EXTENSIONS)),
    st.tuples(st.just("pbx_answers"), st.sampled_from(EXTENSIONS)),
    st.tuples(st.just("rings_out"), st.sampled_from(EXTENSIONS)),
    st.tuples(st.just("hang_up"), st.integers(0, CALLS - 1)),
    st.tuples(st.just("state"), st.sampled_from(EXTENSIONS), st.sampled_from(["available", "break", "offline"])),
    st.tuples(st.just("tick"), st.integers(1, 40)),
    st.tuples(st.just("restart")),
)


@pytest.fixture(scope="module")
def copies(template_database, tmp_path_factory) -> DatabaseCopies:
    return DatabaseCopies(template_database, tmp_path_factory.mktemp("invariants"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    strategy=st.sampled_from(list(Strategy)),
    wrap_up=st.sampled_from([0, 5]),
    sequence=st.lists(steps, min_size=20, max_size=60),
)
def test_no_call_is_lost_and_no_operator_is_double_booked(copies, strategy, wrap_up, sequence):
    asyncio.run(_play(copies, strategy, wrap_up, sequence))


async def _play(copies: DatabaseCopies, strategy: Strategy, wrap_up: int, sequence) -> None:
    url = await copies.make()
    try:
        world = _World(settings_for(url))
        await world.start(strategy, wrap_up)
        for step in sequence:
            await world.do(*step)
            await world.check_operators()
        await world.finish()
        await world.check_calls()
    finally:
        await world.stop()
        await copies.drop_all()


class _World:
    def __init__(self, settings) -> None:
        self.settings = settings
        self.stack = contextlib.AsyncExitStack()
        self.clock = 0  # seconds the timers have been moved on
        self.arrived: set[int] = set()
        self.ended: set[int] = set()
        self.desk: Desk | None = None
        self.tokens: dict = {}

    async def start(self, strategy: Strategy, wrap_up: int) -> None:
        cf = await self.stack.enter_async_context(running(self.settings))
        self.desk = Desk(cf, await cf.user("sam", Role.supervisor))
        for ext in EXTENSIONS:
            await self.desk.operator(ext, skills={"sales": int(ext[-1])}, wrap_up_seconds=wrap_up)
        await self.desk.queue(
            list(EXTENSIONS),
            strategy=strategy.value,
            skill="sales",
            max_no_answers=2,
            ring_timeout_seconds=10,
            max_wait_seconds=60,
        )

    async def restart(self) -> None:
        operators, sup = self.desk.operators, self.desk.sup
        await self.stack.aclose()
        self.stack = contextlib.AsyncExitStack()
        cf = await self.stack.enter_async_context(running(self.settings))
        self.desk = Desk(cf, sup)
        self.desk.operators = operators

    async def stop(self) -> None:
        await self.stack.aclose()

    async def do(self, action: str, *args) -> None:
        desk = self.desk
        if action == "arrive" and args[0] not in self.arrived:
            self.arrived.add(args[0])
            await desk.incoming(f"c{args[0]}", caller=f"+7900000000{args[0]}")
        elif action == "poll" and args[0] in self.arrived - self.ended:
            await desk.waiting(f"c{args[0]}")
        elif action in ("accept", "reject"):
            for offer in await desk.offers(args[0]):
                response = await (desk.accept if action == "accept" else desk.reject)(args[0], offer["id"])
                assert response.status_code in (200, 409), response.text
        elif action in ("pbx_answers", "rings_out"):
            call_id = await self._ringing_call(args[0])
            if call_id is not None and call_id not in self.ended:
                event = ("answered", {}) if action == "pbx_answers" else ("ended", {"reason": "no_answer"})
                await desk.pbx("ringing", f"c{call_id}", extension=args[0])
                await desk.pbx(event[0], f"c{call_id}", extension=args[0], **event[1])
                await desk.cf.settle()
        elif action == "hang_up" and args[0] in self.arrived - self.ended:
            self.ended.add(args[0])
            await desk.hang_up(f"c{args[0]}", reason="caller_hung_up")
        elif action == "state":
            response = await desk.cf.http.post(
                "/api/operators/me/state", json={"state": args[1]}, headers=desk.operators[args[0]]["headers"]
            )
            assert response.status_code in (200, 409), response.text
        elif action == "tick":
            self.clock += args[0]
            await desk.tick(after_seconds=self.clock)
        elif action == "restart":
            await self.restart()

    async def _ringing_call(self, extension: str) -> int | None:
        """The call (by its index) ringing or connected on this operator, if any."""
        query = (
            select(Call.external_id)
            .join(Operator, Operator.call_id == Call.id)
            .where(Operator.user_id == self.desk.operators[extension]["id"])
        )
        external = await self.desk.cf.db.read(lambda s: s.execute(query).scalar())
        return int(external[1:]) if external else None

    async def finish(self) -> None:
        for index in sorted(self.arrived - self.ended):
            await self.desk.hang_up(f"c{index}", reason="completed")
        await self.desk.tick(after_seconds=self.clock + 3600)

    async def check_operators(self) -> None:
        def read(session):
            ringing = session.execute(
                select(Offer.operator_id, Offer.call_id, Operator.state, Operator.call_id)
                .join(Operator, Operator.user_id == Offer.operator_id)
                .where(Offer.status == OfferStatus.ringing)
            ).all()
            connected = session.execute(
                select(CallLeg.extension, func.count())
                .join(Call, Call.id == CallLeg.call_id)
                .where(CallLeg.kind == LegKind.operator, CallLeg.state.in_([LegState.connected, LegState.on_hold]))
                .where(Call.state != CallState.ended)
                .group_by(CallLeg.extension)
            ).all()
            return ringing, connected

        ringing, connected = await self.desk.cf.db.read(read)
        operators = [operator_id for operator_id, *_ in ringing]
        assert len(operators) == len(set(operators)), f"an operator holds two offers: {ringing}"
        for _, call_id, state, busy_with in ringing:
            assert (state, busy_with) == (OperatorState.ringing, call_id), f"offer rings for a {state} operator"
        assert all(n == 1 for _, n in connected), f"an operator is connected to two calls: {connected}"

    async def check_calls(self) -> None:
        def read(session):
            calls = session.execute(select(Call)).scalars().all()
            return calls, set(session.execute(select(Callback.phone).where(Callback.status == "open")).scalars())

        calls, open_numbers = await self.desk.cf.db.read(read)
        assert len(calls) == len(self.arrived)
        for call in calls:
            assert call.outcome is not None, f"call {call.external_id} has no outcome"
            if call.outcome in ("missed", "abandoned"):
                assert call.number in open_numbers, f"missed call {call.external_id} is not on the callback list"
