"""Whether a routing webhook goes straight to the decision, as this process last saw it: a hint,
never an answer.

A routing webhook first asks, in a read, whether there is anything to decide (``plan_without_
queue``): a new call on a line with no queue is answered with the PBX's own plan without a write.
For a call ringing a queue's line, or a call already known, the answer is always "yes", and the
read (a reader thread, two or three statements) was spent for nothing — under overload it was
also where the PBX waited, and a PBX asking again for a caller on hold (``waiting``, every few
seconds, with no line in it) paid it each time: a third of the server's CPU in a flood.  A line
the hint knows as a queue's, or calls this process has decided, go straight to the decision,
which reads the lines and the call afresh; anything else, or lines read longer than
``FRESH_SECONDS`` ago, still takes the read, which renews the lines.  A stale hint costs a read
or a decision on the writer, never a different answer.
"""

import math
import time
from collections.abc import Iterable, Mapping, Sequence

from app.dispatch import queueing
from schemas.pbx_events import CallEvent

FRESH_SECONDS = 5.0
KNOWN_CALLS_KEPT = 20_000  # call keys, the oldest forgotten first (a few megabytes at most)


class DecisionHint:
    def __init__(self, *, region: str) -> None:
        self._region = region
        self._lines: Mapping[str, int] = {}
        self._read_at = -math.inf
        self._known: dict[str, None] = {}  # (a dict keeps the order they were noted in)

    def note_lines(self, lines: Mapping[str, int]) -> None:
        """The lines with a queue as just read (from whichever thread read them)."""
        self._lines, self._read_at = lines, time.monotonic()

    def note_decided(self, call_keys: Iterable[str]) -> None:
        """Calls a decision was just committed for: they exist (called on the event loop).  Not those
        answered with the PBX's own plan: under overload their reads slow the asking down, and sent
        straight to the writer they took its time from decisions (bench/flood.py, 100 calls/s:
        83 % decided instead of 98 %)."""
        for key in call_keys:
            self._known.pop(key, None)
            self._known[key] = None
        while len(self._known) > KNOWN_CALLS_KEPT:
            del self._known[next(iter(self._known))]

    def goes_to_decision(self, events: Sequence[CallEvent]) -> bool:
        if events and all(event.call_key in self._known for event in events):
            return True
        if time.monotonic() - self._read_at > FRESH_SECONDS:
            return False
        lines = self._lines
        return any(queueing.queue_for(getattr(e, "line_number", None), lines, region=self._region) for e in events)
