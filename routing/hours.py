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
        if self._days is None:
            return at
        local = at.astimezone(self._tz)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            for start, end in self._days.get(day.weekday(), []):
                opens = _at(day, start, self._tz)
                closes = _at(day, end, self._tz) if end else _at(day + timedelta(days=1), time(0), self._tz)
                if at < closes:
                    return opens.astimezone(UTC) if opens > at else at
        return at


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
