"""A queue read once per transaction.

The session holds the objects it loaded weakly: a queue read in one step is gone by the next,
and read again.  A routing decision reads its call's queue to put the call in it and again to
make the offers; a missed call reads it for the callback's due time and for the live feed.
"""

from sqlalchemy.orm import Session

from app.queues.models import Queue


def kept_queue(*, session: Session, queue_id: int) -> Queue | None:
    """The queue, loaded at its first use in the transaction and kept until it ends (None: no such
    queue)."""
    kept = session.info.setdefault(_KEPT, {})
    if (queue := kept.get(queue_id)) is None:
        queue = kept[queue_id] = session.get(Queue, queue_id)
    return queue


_KEPT = "queues.kept"
