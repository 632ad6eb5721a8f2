"""A client's erasure request, as far as recordings go: their calls' cached audio, the calls'
marks as examples (and with them the reason to keep the audio for good) and the notes reviews
pinned to moments of those calls are removed (the reviews' scores stay: data about an employee).  The PBX keeps
its own copies for the time its tariff sets; the rest of an erasure is outside callfunnel's
recordings."""

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.calls.models import Call
from app.contacts.models import Contact
from app.errors import NotFound
from app.recordings.models import CallExample, Recording, Review, ReviewNote


def purge_contact(*, session: Session, contact_id: int) -> tuple[list[int], int, int]:
    """The recordings whose files are to go, and how many example marks and pinned notes went."""
    if session.get(Contact, contact_id) is None:
        raise NotFound(f"contact {contact_id} does not exist")
    calls = select(Call.id).where(Call.contact_id == contact_id)
    cached = list(
        session.execute(
            select(Recording.id).where(Recording.call_id.in_(calls), Recording.cached_bytes.is_not(None))
        ).scalars()
    )
    session.execute(update(Recording).where(Recording.id.in_(cached)).values(cached_bytes=None, last_access_at=None))
    marks = session.execute(delete(CallExample).where(CallExample.call_id.in_(calls))).rowcount
    reviews = select(Review.id).where(Review.call_id.in_(calls))
    notes = session.execute(delete(ReviewNote).where(ReviewNote.review_id.in_(reviews))).rowcount
    return cached, marks, notes
