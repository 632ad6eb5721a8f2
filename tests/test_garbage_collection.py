"""A serving process keeps what it started with out of the cycle collector's walks and collects
young objects less often; what exists when another app starts in the same process (as tests
make them) is still collected."""

import gc
import weakref

from app.garbage_collection import YOUNG_THRESHOLD
from tests.support.app import running


class _Node:
    pass


async def test_a_started_app_freezes_its_start_once_per_process(cf, settings):
    assert (await cf.http.get("/health/live")).status_code == 200
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the imports: modules, models, routes

    node = _Node()
    node.me = node  # a cycle: reference counting alone never frees it
    gone = weakref.ref(node)
    async with running(settings) as again:  # a second app in this process freezes nothing more
        assert (await again.http.get("/health/live")).status_code == 200
    assert gc.get_freeze_count() == frozen
    del node
    gc.collect()
    assert gone() is None
