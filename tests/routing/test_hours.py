from datetime import UTC, datetime, timedelta

from routing.hours import BusinessHours

WEEKDAYS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
MSK = "Europe/Moscow"  # UTC+3


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_open_and_closed():
    hours = BusinessHours(WEEKDAYS, MSK)
    assert hours.is_open(utc(2026, 11, 23, 6, 0))  # Monday 09:00 Moscow
    assert not hours.is_open(utc(2026, 11, 23, 5, 59))
    assert not hours.is_open(utc(2026, 11, 23, 15, 0))  # 18:00: closed
    assert not hours.is_open(utc(2026, 11, 28, 10, 0))  # Saturday


def test_next_opening_skips_the_weekend():
    hours = BusinessHours(WEEKDAYS, MSK)
    assert hours.next_open(utc(2026, 11, 27, 20, 0)) == utc(2026, 11, 30, 6, 0)  # Friday 23:00 → Monday 09:00


def test_sla_counts_only_open_time():
    hours = BusinessHours(WEEKDAYS, MSK)
    sla = timedelta(minutes=15)
    assert hours.add_open_time(utc(2026, 11, 23, 20, 0), sla) == utc(2026, 11, 24, 6, 15)  # missed at 23:00
    assert hours.add_open_time(utc(2026, 11, 23, 14, 50), sla) == utc(2026, 11, 24, 6, 5)  # 10 min today, 5 tomorrow
    assert hours.add_open_time(utc(2026, 11, 23, 10, 0), sla) == utc(2026, 11, 23, 10, 15)


def test_always_open_and_midnight_intervals():
    assert BusinessHours(None, MSK).add_open_time(utc(2026, 11, 23, 1, 0), timedelta(minutes=5)) == utc(
        2026, 11, 23, 1, 5
    )
    night = BusinessHours({"mon": [["22:00", "24:00"]], "tue": [["00:00", "02:00"]]}, MSK)
    assert night.is_open(utc(2026, 11, 23, 21, 30))  # Tuesday 00:30 Moscow
    assert night.add_open_time(utc(2026, 11, 23, 20, 30), timedelta(hours=2)) == utc(2026, 11, 23, 22, 30)
