"""A serving process keeps what it started with out of the cycle collector's walks and collects
young objects less often; what it makes afterwards (requests, sessions) is still collected."""

import gc
import weakref

from app.garbage_collection import YOUNG_THRESHOLD


class _Node:
    pass


async def test_a_started_app_freezes_its_start_and_still_collects_cycles_made_later(cf):
    assert (await cf.http.get("/health/live")).status_code == 200
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.get_freeze_count() > 10_000  # the imports: modules, models, routes

    node = _Node()
    node.me = node  # a cycle: reference counting alone never frees it
    gone = weakref.ref(node)
    del node
    gc.collect()
    assert gone() is None
