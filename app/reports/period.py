"""What every report's request shares: its period and whether it wants a spreadsheet."""

from datetime import UTC, datetime, timedelta

from fastapi import Request


def period(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """The period asked for (times without an offset are UTC); by default the last 7 days."""
    until = until if until else datetime.now(UTC)
    return (since if since else until - timedelta(days=7)), until


def wants_csv(request: Request, format_: str | None) -> bool:
    return format_ == "csv" or (format_ is None and "text/csv" in request.headers.get("accept", ""))
