"""Links that are secrets (a recording's one-time or signed link): registered here before they
are requested, so the log filter (``app.redaction``) can take them out of any line, such as
httpx's ``HTTP Request: GET <url>``."""

from collections import deque

import httpx

_RECENT: deque[str] = deque(maxlen=256)  # a link is logged when it is requested: the last few suffice


def register(url: str) -> None:
    for form in {url, str(httpx.URL(url))}:  # as given, and as httpx prints it
        if form not in _RECENT:
            _RECENT.append(form)


def redact(text: str, replacement: str) -> str:
    for url in _RECENT:
        if url in text:
            text = text.replace(url, replacement)
    return text
