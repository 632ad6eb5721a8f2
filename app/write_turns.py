"""Turns at SQLite's write lock for the processes sharing one database file
(``PROCESSING=separate``: the server and ``callfunnel process``).

SQLite makes a writer that finds the file locked sleep and try again (after 1, 2, 5, ... up to
100 ms), so a processor running transaction after transaction kept a server's acknowledgements
out until a retry happened to fall between two of its batches.  Every writing transaction takes
an exclusive ``flock`` on a file beside the database first: the kernel wakes a waiting process as
soon as the holder lets go.

Urgent work (a PBX waiting for its acknowledgement or routing decision) goes first across the
processes as it does on one process's writer: a process with urgent work queued holds a second
file shared, and other work waits, before its turn, until no process holds it.
"""

import contextlib
import fcntl
import os
from collections.abc import Iterator


class WriteTurns:
    def __init__(self, database_path: str | None) -> None:
        """``database_path``: the SQLite file (none: in memory, nothing to share, no turns)."""
        in_a_file = database_path is not None
        self._turn = _lock_file(f"{database_path}-writer.lock") if in_a_file else None
        self._urgent = _lock_file(f"{database_path}-urgent.lock") if in_a_file else None
        self._holding_urgent = False

    @contextlib.contextmanager
    def turn(self, *, urgent: bool) -> Iterator[None]:
        """This transaction's turn at the write lock; other work first waits for every process's urgent work."""
        if self._turn is None:
            yield
            return
        if not urgent and not self._holding_urgent:
            fcntl.flock(self._urgent, fcntl.LOCK_EX)  # (granted once no process holds it shared)
            fcntl.flock(self._urgent, fcntl.LOCK_UN)
        fcntl.flock(self._turn, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._turn, fcntl.LOCK_UN)

    def urgent_queued(self, queued: bool) -> None:
        """Whether this process has urgent work waiting or running (the writer thread says so)."""
        if self._urgent is not None and queued != self._holding_urgent:
            fcntl.flock(self._urgent, fcntl.LOCK_SH if queued else fcntl.LOCK_UN)
            self._holding_urgent = queued

    def close(self) -> None:
        for fd in (self._turn, self._urgent):
            if fd is not None:
                os.close(fd)


def _lock_file(path: str) -> int:
    return os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
