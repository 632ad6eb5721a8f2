"""What the intake already read, handed to this process's inbox processor.

The intake reads every webhook before acknowledging it (what cannot be read is refused or kept
with the reason), and the processor would read the stored row again.  The newest readings are
kept here by the notification's key (vendor and dedup key: the same notification reads the
same), before its row is stored so the processor cannot find the row first, and taken by the
processor instead of reading again; a row stored by another process, replayed, or processed
after a restart is read again from its raw body, so a parser fix still reaches it.  (With
``PROCESSING=separate`` the processor is another process: nothing is kept.)  Kept by the
event loop, taken by the SQLite writer's thread: each step is one call on an ``OrderedDict``,
atomic under the GIL.
"""

from collections import OrderedDict

from schemas.pbx_events import CallEvent, CommandResult

Events = list[CallEvent | CommandResult]
Key = tuple[str, str]  # vendor, dedup key


class Readings:
    KEEP = 5000

    def __init__(self, *, keep: int = KEEP) -> None:
        self._keep = keep  # a backlog longer than this is read again: memory stays bounded
        self._events: OrderedDict[Key, Events] = OrderedDict()

    def keep(self, key: Key, events: Events) -> None:
        self._events[key] = events
        while len(self._events) > self._keep:
            try:
                self._events.popitem(last=False)
            except KeyError:  # (taken meanwhile)
                break

    def take(self, key: Key) -> Events | None:
        return self._events.pop(key, None)
