"""MANGO's command API answers 500, then does not answer at all: calls still end answered or on the
callback list, route commands are retried with backoff, and the rate limit is never exceeded."""

import random
from collections import Counter

import httpx

from telephony.simulator.operators import Behaviour
from telephony.simulator.pbx import Callers
from telephony.simulator.run import PBX_GROUP, lines_of, set_up_floor, virtual_pbx
from telephony.simulator.wire import MangoWire
from tests.live_server import admin_token, server
from tests.resilience.checks import assert_missed_numbers_are_on_the_callback_list, settled_calls
from tests.support.app import MANGO_KEY, MANGO_SALT

SOON = Behaviour(answer_delay=(0.2, 1.0), reject_share=0.0, ring_out_share=0.05, break_share=0.0)


async def test_commands_retry_with_backoff_within_the_rate_limit(new_database, tmp_path, mango_api):
    api, mango_url = mango_api
    database_url = await new_database()
    token = await admin_token(database_url)
    settings = {"mango_api_url": mango_url, "pbx_request_timeout_seconds": 2, "reconcile_check_seconds": 3600}
    async with (
        server(database_url, tmp_path, **settings) as cf,
        httpx.AsyncClient(base_url=cf.url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http,
        httpx.AsyncClient(base_url=cf.url, timeout=60) as webhooks,
    ):
        rng = random.Random(4)
        lines = lines_of("mango")
        floor = await set_up_floor(http, vendor="mango", operators=6, lines=lines, rng=rng, ring_timeout_seconds=8)
        pbx = virtual_pbx(
            wire=MangoWire(webhooks, api_key=MANGO_KEY, salt=MANGO_SALT, group=PBX_GROUP),
            floor=floor,
            url=cf.url,
            behaviour=SOON,
            lines=lines,
            callers=Callers(rate=1.0, patience=12, talk_seconds=(2.0, 5.0), group_delay=3.0),
            rng=rng,
        )
        phones = list(pbx.operators.values())
        api.on_route = pbx.on_route
        api.fail("500", 6)
        for phone in phones:
            await phone.log_in()
        await pbx.run(8.0)  # the first calls meet the 500s
        api.fail("timeout", 12)
        await pbx.run(14.0)  # ... the next ones an API that never answers; then it is back
        for phone in phones:
            await phone.log_out()
        calls = await settled_calls(http, pbx.tally.calls)

        tally = pbx.tally
        assert Counter(c["outcome"] for c in calls) == Counter(
            answered=tally.answered, missed=tally.missed, abandoned=tally.abandoned
        )
        await assert_missed_numbers_are_on_the_callback_list(http, calls)
        assert api.routes_over_budget == 0
        gaps = [b - a for a, b in zip(api.routes_received, api.routes_received[1:], strict=False)]
        assert min(gaps) >= 1.9  # 1 route command per 2 s, retries included
        retried = {cid: times for cid, times in api.route_attempts.items() if len(times) > 1}
        assert retried, "no route command was retried"
        for times in retried.values():  # exponential backoff: 2 s, 4 s, 8 s ... between attempts
            waits = [b - a for a, b in zip(times, times[1:], strict=False)]
            assert all(wait >= 2 ** (k + 1) - 0.3 for k, wait in enumerate(waits)), waits
