"""MANGO OFFICE call history: ``stats/request`` → (``/result/stats``) → ``stats/result``.

``stats/request`` takes a period (Unix seconds, at most a month) and the fields wanted, and
answers a ``key``; ``stats/result`` with that key answers 204 while the report is being built
(poll at most every 5 s) and then a ``;``-separated CSV without a header, one row per leg
that reached a person, in the order of the fields asked (pbx-formats.md §1.9).  Rows of one
call share its ``entry_id``; they become one ``CallFinished``, the PBX's final word on it.
"""

import asyncio
import csv
import io
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

import httpx

from schemas.pbx_events import CallFinished, Direction
from telephony import PayloadError
from telephony.mango.webhooks import end_reason, signed_form

FIELDS = (
    "entry_id",
    "start",
    "finish",
    "answer",
    "from_extension",
    "from_number",
    "to_extension",
    "to_number",
    "disconnect_reason",
    "line_number",
)
POLL_SECONDS = 5.0  # the documented floor between two ``stats/result`` polls


class StatsError(RuntimeError):
    """The PBX did not give the report (HTTP error, bad key, no answer in time)."""


async def fetch(
    http: httpx.AsyncClient, *, api_key: str, salt: str, since: datetime, until: datetime, patience: float = 120.0
) -> list[CallFinished]:
    """The calls the PBX finished between ``since`` and ``until``; ``http`` is based at ``…/vpbx/``."""
    request = {
        "date_from": str(int(since.timestamp())),
        "date_to": str(int(until.timestamp())),
        "fields": ", ".join(FIELDS),
        "request_id": f"reconcile-{int(time.time())}",
    }
    response = await http.post("stats/request", data=signed_form(api_key, salt, request))
    if response.status_code != 200:
        raise StatsError(f"stats/request: HTTP {response.status_code} {response.text[:200]}")
    try:
        key = response.json()["key"]
    except (ValueError, KeyError, TypeError):
        raise StatsError(f"stats/request gave no key: {response.text[:200]}") from None
    deadline = time.monotonic() + patience
    while True:
        result = await http.post("stats/result", data=signed_form(api_key, salt, {"key": key}))
        if result.status_code == 200:
            return calls_from_csv(result.text)
        if result.status_code != 204:
            raise StatsError(f"stats/result: HTTP {result.status_code} {result.text[:200]}")
        if time.monotonic() > deadline:
            raise StatsError(f"stats/result: report {key} not ready after {patience:.0f} s")
        await asyncio.sleep(POLL_SECONDS)


def calls_from_csv(text: str) -> list[CallFinished]:
    rows = [dict(zip(FIELDS, row, strict=False)) for row in csv.reader(io.StringIO(text), delimiter=";") if row]
    by_entry: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if not row.get("entry_id"):
            raise PayloadError(f"history row without entry_id: {row}")
        by_entry[row["entry_id"]].append(row)
    return [_call(entry_id, legs) for entry_id, legs in by_entry.items()]


def _call(entry_id: str, legs: list[dict]) -> CallFinished:
    legs.sort(key=lambda leg: _int(leg, "start") or 0)
    answered = [leg for leg in legs if _int(leg, "answer")]
    first, last = legs[0], max(legs, key=lambda leg: _int(leg, "finish") or 0)
    if first.get("from_extension"):
        direction = Direction.outbound if not first.get("to_extension") else Direction.internal
        client = first.get("to_number") if direction == Direction.outbound else None
    else:
        direction, client = Direction.inbound, first.get("from_number")
    taker = answered[0] if answered else last
    code = _int(last, "disconnect_reason")
    extension = taker.get("from_extension") if direction == Direction.outbound else taker.get("to_extension")
    return CallFinished(
        call_key=entry_id,
        occurred_at=_time(last, "finish"),
        direction=direction,
        client_number=client or None,
        line_number=first.get("line_number") or None,
        extension=extension or None,
        started_at=_time(first, "start"),
        answered_at=_time(answered[0], "answer") if answered else None,
        answered=bool(answered),
        end_reason=end_reason(code),
        end_code=str(code) if code is not None else None,
    )


def to_csv(rows: Iterable[dict], fields: Iterable[str]) -> str:
    """The report as MANGO writes it, columns in the order asked (the simulator's PBX serves its history so)."""
    fields = list(fields)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    for row in rows:
        writer.writerow([row.get(field, "") for field in fields])
    return out.getvalue()


def _int(row: dict, key: str) -> int | None:
    value = row.get(key)
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        raise PayloadError(f"history field {key}={value!r} is not a number") from None


def _time(row: dict, key: str) -> datetime:
    return datetime.fromtimestamp(_int(row, key) or 0, tz=UTC)
