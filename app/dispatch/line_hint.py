"""Which lines have a queue, as this process last read them: a hint, never an answer.

A routing webhook first asks, in a read, whether there is anything to decide (``plan_without_
queue``); for a call ringing a queue's line the answer is always "yes", and the read (a reader
thread, three statements) was spent for nothing — under overload it was also where the PBX
waited.  A line the hint knows as a queue's goes straight to the decision, which reads the lines
afresh; any other line, or a hint older than ``FRESH_SECONDS``, still takes the read, which reads
them afresh and renews the hint.  A stale hint costs a read or a decision on the writer, never a
different answer.
"""

import math
import time
from collections.abc import Mapping, Sequence

from app.dispatch import queueing
from schemas.pbx_events import CallEvent

FRESH_SECONDS = 5.0


class QueueLineHint:
    def __init__(self, *, region: str) -> None:
        self._region = region
        self._lines: Mapping[str, int] = {}
        self._read_at = -math.inf

    def note(self, lines: Mapping[str, int]) -> None:
        """The lines with a queue as just read (from whichever thread read them)."""
        self._lines, self._read_at = lines, time.monotonic()

    def rings_a_queue(self, events: Sequence[CallEvent]) -> bool:
        if time.monotonic() - self._read_at > FRESH_SECONDS:
            return False
        lines = self._lines
        return any(queueing.queue_for(getattr(e, "line_number", None), lines, region=self._region) for e in events)
