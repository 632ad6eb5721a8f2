"""From a stored inbox row to normalized call events, whatever the vendor."""

from collections import defaultdict

from sqlalchemy.orm import Session

from app.calls import service as calls_service
from app.commands import flows as command_flows
from app.database import utcnow
from app.inbox.models import InboxItem
from schemas.pbx_events import CallEvent, CommandResult
from telephony import PayloadError, generic, mango, zadarma


def events_of(item: InboxItem, *, timezone: str) -> list[CallEvent | CommandResult]:
    """Parses the raw request again, so a row replayed after a parser fix gets the fixed reading."""
    if item.vendor == mango.VENDOR:
        form = mango.parse_form(item.raw_body)
        return mango.parse(item.path, mango.load_payload(form["json"]))
    if item.vendor == zadarma.VENDOR:
        return zadarma.parse(zadarma.parse_form(item.raw_body), received_at=item.received_at, timezone=timezone)
    if item.vendor == generic.VENDOR:
        return generic.parse(generic.load_payload(item.raw_body.encode()), received_at=item.received_at)
    raise PayloadError(f"no parser for vendor {item.vendor!r}")


def inbox_handler(policy: calls_service.CallPolicy):
    """The inbox processor's handler: applies the rows' events, stamps unparsable rows with the reason."""

    def handle(session: Session, items: list[InboxItem]) -> None:
        by_vendor: dict[str, list[CallEvent]] = defaultdict(list)
        results: list[CommandResult] = []
        for item in items:
            try:
                for event in events_of(item, timezone=policy.timezone):
                    (results if isinstance(event, CommandResult) else by_vendor[item.vendor]).append(event)
            except PayloadError as exc:
                item.error = str(exc)
        for vendor, events in by_vendor.items():
            calls_service.apply_events(session=session, vendor=vendor, events=events, policy=policy)
        for result in results:
            command_flows.record_result(session=session, result=result, now=utcnow())

    return handle
