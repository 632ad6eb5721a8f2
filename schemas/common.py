"""Types every boundary shares: pages, ids, moments.

Input is checked where it enters, so that what reaches a service fits the database on both
backends: ids fit a signed 64-bit column, moments can be turned into UTC.  (Text and numbers in
JSON are checked as the body is read: ``schemas/json_text.py``.)
"""

import re
from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from annotated_types import Interval
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator

T = TypeVar("T")

MAX_PAGE = 500
MAX_ID = 2**31 - 1  # ids (and positions) are INTEGER columns on PostgreSQL: larger numbers are no row's
MAX_OFFSET = 2**63 - 1  # OFFSET takes a BIGINT

Id = Annotated[int, Interval(ge=1, le=MAX_ID)]

_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def _moment_as_text(value: object) -> object:
    """A moment is written as a date and time; a bare number would be read as Unix seconds."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("a date and time in ISO 8601 is expected, e.g. 2026-12-03T10:00:00+03:00")
    return value


FIRST_YEAR, LAST_YEAR = 1900, 9998  # room for a day's or a time zone's arithmetic either side


def _in_utc(value: datetime) -> datetime:
    """UTC (a moment without an offset is taken as UTC), within the years callfunnel can compute with."""
    try:
        value = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    except OverflowError:
        value = None
    if value is None or not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"the moment must fall in the years {FIRST_YEAR} to {LAST_YEAR} (UTC)")
    return value


Moment = Annotated[datetime, BeforeValidator(_moment_as_text), AfterValidator(_in_utc)]
AwareMoment = Annotated[AwareDatetime, BeforeValidator(_moment_as_text), AfterValidator(_in_utc)]  # offset required


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int  # counted up to 10,000 rows; past that 10,001 and total_exact is false
    total_exact: bool = True
    limit: int
    offset: int
