"""The cycle collector tuned for a long-running server, once per process.

With CPython's defaults (a young collection every 700 allocations), a saturated worker spent
about a tenth of its time collecting, and each full collection walked the quarter of a million
objects the imports leave behind (modules, models, compiled routes and statements) — some 80 ms
with the event loop and the writer stopped.  What exists when the server starts lives as long as
the process, so it is moved out of the collector's sight (``gc.freeze``); young collections run
every 50,000 allocations, the older generations as often as before relative to them.  Reference
counting still frees everything that is not in a cycle at once; cycles wait a little longer.
"""

import gc
import threading

YOUNG_THRESHOLD = 50_000

_lock = threading.Lock()
_tuned = False


def tune_for_serving() -> None:
    """Freezes what the process holds at its start and raises the young generation's threshold.

    The first call in a process does it; later ones (another app in the same process, as tests
    make) change nothing, so what they hold stays collectable."""
    global _tuned
    with _lock:
        if _tuned:
            return
        _tuned = True
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
