"""Two app instances on one database (as with several workers on PostgreSQL): webhooks of the
same calls land on either, some on both; the result is the one a single instance reaches."""

import asyncio
import random

from app.auth.models import Role
from telephony.mango.script import InboundCall
from tests.support.app import running, signed_mango
from tests.support.calls import final_state

T = 1750000000


def scripts():
    calls = []
    for n in range(12):
        call = InboundCall(f"two-{n}", f"7900555{n % 4:04d}", T + n * 40)
        calls.append(call.missed(rung=("101",)) if n % 3 == 0 else call.answered(missed_by=("101",), extension="102"))
    return [signed_mango(path, payload) for script in calls for path, payload in script]


async def test_two_instances_share_the_work(settings, new_database):
    items = scripts()
    async with running(settings) as single:
        supervisor = await single.user("sam", Role.supervisor)
        for item in items:
            assert (await single.post_pbx(item)).status_code == 200
        await single.settle()
        expected = await final_state(single, supervisor["headers"])

    shared = settings.model_copy(update={"database_url": await new_database()})
    async with running(shared) as a, running(shared) as b:
        supervisor = await a.user("sam", Role.supervisor)
        rng = random.Random(7)
        deliveries = [(rng.choice((a, b)), item) for item in items] + [(b, item) for item in rng.sample(items, 20)]
        rng.shuffle(deliveries)
        responses = await asyncio.gather(*(instance.post_pbx(item) for instance, item in deliveries))
        assert {r.status_code for r in responses} == {200}
        await asyncio.gather(a.settle(), b.settle())
        assert await final_state(a, supervisor["headers"]) == expected
