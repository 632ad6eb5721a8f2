"""Phone numbers in E.164, so that "8 (912) 345-67-89", "+7 912 345 67 89" and "79123456789" are one client."""

import re
from functools import lru_cache

import phonenumbers

_SIP_USER = re.compile(r"^(?:sips?|tel):([^@;]+)", re.IGNORECASE)


@lru_cache(maxsize=8192)  # (a parse costs ~0.1 ms; lines, and callers who call again, repeat)
def to_e164(raw: str | None, *, region: str) -> str | None:
    """The E.164 form of a number, or None when it is not a dialable number (hidden, SIP name, extension)."""
    if raw is None or not raw.strip():
        return None
    candidate = raw.strip()
    sip = _SIP_USER.match(candidate)
    if sip:
        candidate = sip.group(1)
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
