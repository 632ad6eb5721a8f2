"""Business hours: a weekly schedule in the queue's time zone.

``{"mon": [["09:00", "18:00"]], "sat": [["10:00", "14:00"]]}``; a day that is not listed is
closed, ``None`` means always open.  An interval may end at ``24:00``.
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours:
    def __init__(self, schedule: dict | None, timezone: str) -> None:
        self._tz = ZoneInfo(timezone)
        self._days = None if schedule is None else {DAYS.index(day): _intervals(v) for day, v in schedule.items()}

    def is_open(self, at: datetime) -> bool:
        return self.next_open(at) == at

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when open, else the next opening (UTC); ``at`` if the schedule never opens."""
        interval = self._interval_from(at)
        return at if interval is None else max(interval[0], at)

    def add_open_time(self, at: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of open time has passed since ``at`` (an SLA in business hours)."""
        moment, remaining = at, duration
        for _ in range(400):  # a year of intervals at most; a schedule always has one within a week
            interval = self._interval_from(moment)
            if interval is None:
                return moment + remaining
            opens, closes = interval
            moment = max(opens, moment)
            if moment + remaining <= closes:
                return moment + remaining
            remaining -= closes - moment
            moment = closes
        return moment + remaining

    def _interval_from(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The open interval containing ``at``, or the next one (UTC); None: always open or never."""
        if self._days is None:
            return None
        local = at.astimezone(self._tz)
        for offset in range(-1, 8):
            day = local.date() + timedelta(days=offset)
            for start, end in self._days.get(day.weekday(), []):
                opens = _at(day, start, self._tz)
                closes = _at(day, end, self._tz) if end else _at(day + timedelta(days=1), time(0), self._tz)
                if at < closes:
                    return opens.astimezone(UTC), closes.astimezone(UTC)
        return None


def validate(schedule: dict | None) -> None:
    """Raises ValueError with the reason for a schedule that cannot be read."""
    if schedule is None:
        return
    for day, intervals in schedule.items():
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r}; use {', '.join(DAYS)}")
        _intervals(intervals)


def _intervals(value) -> list[tuple[time, time | None]]:
    result = []
    for pair in value:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError('each interval is ["HH:MM", "HH:MM"]')
        start = time.fromisoformat(pair[0])
        end = None if pair[1] == "24:00" else time.fromisoformat(pair[1])
        if end is not None and end <= start:
            raise ValueError(f"interval {pair[0]}-{pair[1]} ends before it starts")
        result.append((start, end))
    return sorted(result, key=lambda p: p[0])


def _at(day, moment: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=tz)
