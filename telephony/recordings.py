"""Recordings at the seam: how a vendor hands over a recording's audio.

A vendor's ``recording_source`` opens the file as a streaming ``httpx`` response: MANGO and
Zadarma through their APIs (a signed request, answered with a one-time link), Sipuni and the
generic protocol from the link their events carried.  The caller reads the stream once, whole,
and keeps it; every request counts against the vendor's ``recording_budget``.

Links are secrets (Sipuni's ``hash=``, MANGO's signed paths, a generic PBX's tokens): they are
registered with ``telephony.secret_urls`` before they are requested, so no log line shows them.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from telephony import secret_urls

MAX_REDIRECTS = 5


class RecordingUnavailable(Exception):
    """The PBX cannot hand the file over now (unreachable, failing, over its rate limit): try later."""


class RecordingMissing(Exception):
    """The PBX has no such file (never stored, or deleted after its tariff's time)."""


class RecordingRefused(Exception):
    """The link leads somewhere callfunnel does not fetch from (a host not allowed)."""


@dataclass(frozen=True)
class RecordingRef:
    """What callfunnel knows of a recording: the vendor's id and, for some vendors, its link."""

    external_id: str
    url: str | None = None


class RecordingSource(Protocol):
    def open(self, ref: RecordingRef) -> "AsyncIterator[httpx.Response]":
        """An async context manager: the audio as a streaming response with status 200."""
        ...

    async def close(self) -> None: ...


def audio_checked(response: httpx.Response) -> httpx.Response:
    """The file's response, or the error its status means (read before the body is)."""
    if response.status_code == 200:
        return response
    if response.status_code in (404, 410):
        raise RecordingMissing(f"HTTP {response.status_code}")
    raise RecordingUnavailable(f"HTTP {response.status_code}")


@asynccontextmanager
async def streamed(client: httpx.AsyncClient, url: str, *, allowed: Callable[[str], bool]):
    """GETs ``url``, following redirects only to allowed hosts; yields the streaming response."""
    for _ in range(MAX_REDIRECTS + 1):
        if not allowed(url):
            raise RecordingRefused(f"a recording link to {urlsplit(url).hostname!r}, which is not allowed")
        secret_urls.register(url)
        try:
            response = await client.send(client.build_request("GET", url), stream=True, follow_redirects=False)
        except httpx.TransportError as exc:
            raise RecordingUnavailable(type(exc).__name__) from exc
        if not response.is_redirect:
            break
        url = urljoin(url, response.headers.get("location", ""))
        await response.aclose()
    else:
        raise RecordingUnavailable("too many redirects")
    try:
        yield audio_checked(response)
    finally:
        await response.aclose()


class LinkSource:
    """For a PBX whose events carry the file's link (Sipuni, the generic protocol)."""

    def __init__(
        self, *, allowed: Callable[[str], bool], timeout: float, transport: httpx.AsyncBaseTransport | None
    ) -> None:
        self._allowed = allowed
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)

    @asynccontextmanager
    async def open(self, ref: RecordingRef):
        if not ref.url:
            raise RecordingMissing("no link")
        async with streamed(self._http, ref.url, allowed=self._allowed) as response:
            yield response

    async def close(self) -> None:
        await self._http.aclose()


def on_the_web(url: str) -> bool:
    """For a link the vendor's own signed API answered with (MANGO, Zadarma): wherever it leads."""
    return urlsplit(url).scheme in ("http", "https")


def host_in(hosts: list[str]) -> Callable[[str], bool]:
    """Whether a URL is http(s) on one of ``hosts`` (exactly, case aside)."""
    listed = {host.lower() for host in hosts}

    def allowed(url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "").lower() in listed

    return allowed
