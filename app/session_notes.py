"""What a transaction means to do once it commits, kept in its session until then.

A note goes with the savepoint (or the transaction) it was made in when that rolls back: the
metrics a routing decision counted and the steps it put on a call's timeline leave with the
decision that did not happen.
"""

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_NOTES = "session_notes"


def keep(session: Session, kind: str, note) -> None:
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_NOTES, {}).setdefault(kind, []).append((transaction, note))


def take(session: Session, kind: str) -> list:
    """The notes of ``kind`` kept so far, oldest first; they are no longer kept."""
    return [note for _transaction, note in session.info.get(_NOTES, {}).pop(kind, ())]


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, rolled_back: SessionTransaction) -> None:
    for notes in session.info.get(_NOTES, {}).values():
        notes[:] = [(transaction, note) for transaction, note in notes if not _within(transaction, rolled_back)]


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False
