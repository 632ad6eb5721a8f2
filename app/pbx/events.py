"""From a stored inbox row to normalized call events, whatever the vendor."""

from collections import defaultdict

from sqlalchemy.orm import Session

from app.calls import service as calls_service
from app.inbox.models import InboxItem
from schemas.pbx_events import CallEvent
from telephony import PayloadError, generic, mango


def events_of(item: InboxItem) -> list[CallEvent]:
    """Parses the raw request again, so a row replayed after a parser fix gets the fixed reading."""
    if item.vendor == mango.VENDOR:
        form = mango.parse_form(item.body)
        return mango.parse(item.path, mango.load_payload(form["json"]))
    if item.vendor == generic.VENDOR:
        return generic.parse(generic.load_payload(item.body.encode()), received_at=item.received_at)
    raise PayloadError(f"no parser for vendor {item.vendor!r}")


def inbox_handler(policy: calls_service.CallPolicy):
    """The inbox processor's handler: applies the rows' events, stamps unparsable rows with the reason."""

    def handle(session: Session, items: list[InboxItem]) -> None:
        by_vendor: dict[str, list[CallEvent]] = defaultdict(list)
        for item in items:
            try:
                by_vendor[item.vendor].extend(events_of(item))
            except PayloadError as exc:
                item.error = str(exc)
        for vendor, events in by_vendor.items():
            calls_service.apply_events(session=session, vendor=vendor, events=events, policy=policy)

    return handle
