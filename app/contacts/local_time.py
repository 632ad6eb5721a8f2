"""A client's local time zone, for calling them at a decent hour: the contact's own ``timezone``
when set; else the zone the number's area gives when it gives exactly one (+7 495 Moscow, +7 423
Vladivostok); else a fallback, marked *guessed* — a Russian mobile (+7 9xx) or 8-800 number maps
to sixteen zones, so the number alone cannot tell."""

import functools
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
from phonenumbers import timezone as number_zones

# phonenumbers files +7 4012 (Kaliningrad) under Europe/Bucharest, which has the same offset in
# winter only: Kaliningrad keeps UTC+2 all year.
_READ_AS = {("RU", "Europe/Bucharest"): "Europe/Kaliningrad"}


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone(name: str) -> bool:
    return name in _zones()


def zone_of(*, phone: str | None, own: str | None, fallback: str) -> tuple[str, bool]:
    """The zone to call ``phone`` in, and whether it is a guess."""
    if own:
        return own, False
    try:
        number = phonenumbers.parse(phone or "")
    except phonenumbers.NumberParseException:
        return fallback, True
    zones = number_zones.time_zones_for_number(number)
    if len(zones) != 1 or zones[0] == number_zones.UNKNOWN_TIMEZONE:
        return fallback, True
    region = phonenumbers.region_code_for_number(number)
    zone = _READ_AS.get((region, zones[0]), zones[0])
    ZoneInfo(zone)  # (a zone Python does not know would be a bug in the mapping)
    return zone, False
