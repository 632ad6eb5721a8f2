"""From a stored inbox row to normalized call events, whatever the vendor."""

from collections import defaultdict

from sqlalchemy.orm import Session

from app.database import utcnow
from app.flows import call_events, pbx_commands
from app.inbox.processor import PendingItem
from app.inbox.readings import Events, Readings
from schemas.pbx_events import CallEvent, CommandResult
from telephony import PayloadError
from telephony.vendor import Vendor, Webhook


def events_of(item: PendingItem, vendors: dict[str, Vendor], readings: Readings | None) -> Events:
    """What the intake of this process read (``app/inbox/readings.py``), else the raw request read
    again, so a row replayed after a parser fix gets the fixed reading."""
    events = readings.take((item.vendor, item.dedup_key)) if readings is not None else None
    if events is not None:
        return events
    vendor = vendors.get(item.vendor)
    if vendor is None:
        raise PayloadError(f"no parser for vendor {item.vendor!r}")
    return vendor.read(Webhook(item.path, item.raw_body), received_at=item.received_at).events


def inbox_handler(policy: call_events.CallPolicy, vendors: dict[str, Vendor], readings: Readings | None = None):
    """The inbox processor's handler: applies the rows' events, stamps unparsable rows with the reason."""
    pauses = pbx_commands.refusal_pauses(vendors)

    def handle(session: Session, items: list[PendingItem]) -> None:
        by_vendor: dict[str, list[CallEvent]] = defaultdict(list)
        results: list[CommandResult] = []
        fallen_back: list[tuple[PendingItem, set[str]]] = []  # routing webhooks answered with the PBX's plan
        for item in items:
            try:
                events = events_of(item, vendors, readings)
            except PayloadError as exc:
                item.error = str(exc)
                continue
            for event in events:
                (results if isinstance(event, CommandResult) else by_vendor[item.vendor]).append(event)
            if item.fallback_reason:
                fallen_back.append((item, {e.call_key for e in events if not isinstance(e, CommandResult)}))
        for vendor, events in by_vendor.items():
            call_events.apply_events(session=session, vendor=vendor, events=events, policy=policy)
        for item, keys in fallen_back:
            call_events.left_to_pbx(session=session, vendor=item.vendor, keys=keys, reason=item.fallback_reason)
        for result in results:
            pbx_commands.record_result(session=session, result=result, now=utcnow(), refusal_pauses=pauses)

    return handle
