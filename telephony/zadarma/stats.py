"""Zadarma PBX call history: ``GET /v1/statistics/pbx/`` (format version 2).

Signed like every Zadarma API request (``zadarma_api.signature``); a period of at most a month
in the account's local time, 1,000 rows a page (``skip``/``limit``); 3 requests a minute, and
Zadarma asks integrators not to poll it for live data.  Each row is one leg (``pbx_call_id``
ties them: ``in_…`` inbound, ``out_…`` outbound); they become one ``CallFinished`` per call.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from schemas.pbx_events import CallFinished, Direction, EndReason
from telephony import PayloadError
from telephony.zadarma.api import signature
from telephony.zadarma.webhooks import DISPOSITIONS, local_moment

PATH = "/v1/statistics/pbx/"
PAGE = 1000
_LOCAL = "%Y-%m-%d %H:%M:%S"


class StatsError(RuntimeError):
    """The PBX did not give the statistics (HTTP error, refused signature)."""


async def fetch(
    http: httpx.AsyncClient, *, api_key: str, secret: str, since: datetime, until: datetime, timezone: str
) -> list[CallFinished]:
    """The calls the PBX has for ``since``..``until``; ``http`` is based at the API root."""
    tz = ZoneInfo(timezone)
    rows: list[dict] = []
    while True:
        params = {
            "start": since.astimezone(tz).strftime(_LOCAL),
            "end": until.astimezone(tz).strftime(_LOCAL),
            "version": "2",
            "skip": str(len(rows)),
            "limit": str(PAGE),
        }
        auth = f"{api_key}:{signature(secret=secret, path=PATH, params=params)}"
        response = await http.get(PATH, params=sorted(params.items()), headers={"Authorization": auth})
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code != 200 or body.get("status") != "success":
            raise StatsError(f"statistics: HTTP {response.status_code} {response.text[:200]}")
        page = body.get("stats") or []
        rows += page
        if len(page) < PAGE:
            return calls_from_rows(rows, tz=tz)


def calls_from_rows(rows: list[dict], *, tz: ZoneInfo) -> list[CallFinished]:
    by_call: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        key = str(row.get("pbx_call_id") or "")
        if not key:
            raise PayloadError(f"statistics row without pbx_call_id: {row}")
        by_call[key].append(row)
    return [_call(key, legs, tz) for key, legs in by_call.items()]


def _call(key: str, legs: list[dict], tz: ZoneInfo) -> CallFinished:
    legs.sort(key=lambda leg: str(leg.get("callstart", "")))
    answered = [leg for leg in legs if leg.get("disposition") == "answered"]
    first = legs[0]
    started = _local(first, tz)
    ended = max(_local(leg, tz) + timedelta(seconds=int(leg.get("seconds") or 0)) for leg in legs)
    outbound = key.startswith("out_")
    last = answered[0] if answered else legs[-1]
    disposition = str(last.get("disposition", ""))
    return CallFinished(
        call_key=key,
        occurred_at=ended,
        direction=Direction.outbound if outbound else Direction.inbound,
        client_number=_text(first, "destination" if outbound else "clid") or _text(first, "sip"),
        extension=_text(last, "sip" if outbound else "destination"),
        started_at=started,
        answered=bool(answered),
        end_reason=DISPOSITIONS.get(disposition, EndReason.failed),
    )


def _local(row: dict, tz: ZoneInfo) -> datetime:
    value = str(row.get("callstart", ""))
    try:
        return local_moment(value, tz)
    except ValueError:
        raise PayloadError(f"statistics callstart {value!r} is not YYYY-MM-DD HH:MM:SS") from None


def _text(row: dict, key: str) -> str | None:
    value = row.get(key)
    return str(value) if value not in (None, "") else None
