"""Turns at SQLite's write lock for the processes sharing one database file
(``PROCESSING=separate``: the server and ``callfunnel process``).

SQLite makes a writer that finds the file locked sleep and try again (after 1, 2, 5, ... up to
100 ms), so a processor running transaction after transaction kept a server's acknowledgements
out until a retry happened to fall between two of its batches.  Every writing transaction takes
an exclusive ``flock`` on a file beside the database first: the kernel wakes a waiting process as
soon as the holder lets go, so the server's next transaction goes in between two batches.
"""

import fcntl
import os


class WriteTurns:
    def __init__(self, database_path: str | None) -> None:
        """``database_path``: the SQLite file (none, or ``:memory:``: nothing to share, no turns)."""
        in_a_file = database_path and database_path != ":memory:"
        self._fd = os.open(f"{database_path}-writer.lock", os.O_CREAT | os.O_RDWR, 0o600) if in_a_file else None

    def __enter__(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *_exc) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
