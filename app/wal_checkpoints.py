"""SQLite's WAL checkpoints on a thread of their own, off the writer.

In WAL mode with ``synchronous=NORMAL`` a commit appends to the log and does not wait for the
disk; the disk is synced when the log is copied back into the database file (a checkpoint).  By
default the transaction whose commit takes the log past 1,000 pages runs that checkpoint itself,
two fsyncs: about one routing decision in a hundred waited ~10 ms more for its reply.  The
connections of a process that keeps a ``WalCheckpoints`` turn automatic checkpoints off
(``wal_autocheckpoint=0``) and this thread checkpoints every ``interval`` seconds instead, with its
own connection.  ``PASSIVE``: it waits for no reader and no writer; pages a reader still needs are
copied at a later round, as an automatic checkpoint would have left them.
"""

import logging
import sqlite3
import threading
from urllib.parse import quote

log = logging.getLogger(__name__)


class WalCheckpoints:
    def __init__(self, path: str, *, interval: float) -> None:
        """``path``: the database file (it exists: ``make_sqlite_file_private`` made it)."""
        self._path = path
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        connection = None
        try:
            while not self._stop.wait(self._interval):
                try:
                    # (``mode=rw``: never creates the file, which only ``make_sqlite_file_private`` does, private)
                    connection = connection or sqlite3.connect(f"file:{quote(self._path)}?mode=rw", uri=True)
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:  # (the next round tries again; the log grows meanwhile)
                    if "locked" not in str(error):  # another process's checkpoint running is no news
                        log.exception("checkpointing the SQLite log failed")
        finally:
            if connection is not None:
                connection.close()
