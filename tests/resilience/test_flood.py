"""An advertising campaign floods the lines: 500 calls in 10 s on 20 operators — on one process, and on
two workers sharing PostgreSQL, where no transaction may deadlock another (the README's
lock order: a call before its queue entry, then offers and operators)."""

import random
from collections import Counter
from pathlib import Path

import httpx
import pytest

from telephony.simulator.operators import Behaviour
from telephony.simulator.pbx import Callers
from telephony.simulator.run import lines_of, set_up_floor, virtual_pbx
from telephony.simulator.wire import GenericWire
from tests.live_server import admin_token, server
from tests.resilience.checks import (
    FeedRecorder,
    assert_missed_numbers_are_on_the_callback_list,
    assert_nobody_had_two_calls,
    settled_calls,
)
from tests.resilience.conftest import PG_CLUSTER, needs_postgres_cluster
from tests.support.app import GENERIC_SECRET

CALLS = 500
QUICK = Behaviour(answer_delay=(0.1, 0.8), reject_share=0.05, ring_out_share=0.05, break_share=0.02,
                  break_seconds=(1.0, 3.0), disposition_share=0.2)  # fmt: skip


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=needs_postgres_cluster)])
async def test_flood_every_call_ends_once_and_every_miss_is_on_the_list(new_database, tmp_path, workers):
    database_url = await new_database()
    token = await admin_token(database_url)
    server_log = PostgresLog()
    async with (
        server(database_url, tmp_path, workers) as cf,
        httpx.AsyncClient(base_url=cf.url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as api,
        httpx.AsyncClient(base_url=cf.url, timeout=60) as webhooks,
    ):
        rng = random.Random(500)
        lines = lines_of("generic")
        floor = await set_up_floor(
            api, vendor="generic", operators=20, lines=lines, rng=rng, ring_timeout_seconds=5, max_wait_seconds=30
        )
        pbx = virtual_pbx(
            wire=GenericWire(webhooks, secret=GENERIC_SECRET),
            floor=floor,
            url=cf.url,
            behaviour=QUICK,
            lines=lines,
            callers=Callers(rate=60, patience=8, repeat_share=0.1, talk_seconds=(1.0, 3.0), max_wait=40),
            rng=rng,
        )
        phones = list(pbx.operators.values())
        async with FeedRecorder(cf.url, token) as feed:
            for phone in phones:
                await phone.log_in()
            await pbx.run(10.0, calls=CALLS, drain_timeout=240)
            for phone in phones:
                await phone.log_out()
            tally = pbx.tally
            assert tally.webhooks_refused == 0, f"webhooks not taken; replies took {latencies(pbx.wire)}"
            calls = await settled_calls(api, tally.calls)

        assert tally.calls >= CALLS * 0.9
        assert len(calls) == tally.calls  # every call the PBX made, once
        outcomes = Counter(call["outcome"] for call in calls)
        assert outcomes == Counter(answered=tally.answered, missed=tally.missed, abandoned=tally.abandoned)
        await assert_missed_numbers_are_on_the_callback_list(api, calls)
        await assert_nobody_had_two_calls(cf.url, [tok for _, _, tok in floor], calls)
        missed = sorted(call["id"] for call in calls if call["outcome"] in ("missed", "abandoned"))
        assert sorted(feed.missed_call_ids()) == missed  # each missed call on the feed, once
    assert server_log.deadlocks() == [], "transactions took rows in different orders"


class PostgresLog:
    """The lines the test cluster's server log gains from now on (``scripts/postgres-cluster.sh``)."""

    def __init__(self) -> None:
        self.path = Path(PG_CLUSTER, "server.log") if PG_CLUSTER else None
        self.start = self.path.stat().st_size if self.path else 0

    def deadlocks(self) -> list[str]:
        if self.path is None:
            return []
        with self.path.open(errors="replace") as log:
            log.seek(self.start)
            lines = log.read().splitlines()
        # each with the DETAIL lines after it: which processes waited for which rows
        return ["\n".join(lines[n : n + 4]) for n, line in enumerate(lines) if "deadlock detected" in line]


def latencies(wire) -> str:
    """How long callfunnel took to answer the PBX's webhooks (a PBX gives up after a while)."""
    replies = sorted(wire.latencies)
    p50, p99 = replies[len(replies) // 2], replies[int(len(replies) * 0.99)]
    return f"p50 {p50:.1f} s, p99 {p99:.1f} s, max {replies[-1]:.1f} s"
