"""The simulated PBX's own APIs, as callfunnel reaches them: MANGO ``/vpbx/...``, Zadarma ``/v1/...``.

Signed requests are checked the way the vendors check them.  MANGO ``commands/route`` keeps
the documented budget (1 per 2 s per product: over it, the documented 429) and is handed to
the PBX (``on_route``); the call history is served from ``PbxHistory`` in each vendor's
statistics format.  ``fail(mode, seconds)`` makes the command API answer 500 or hang, to
test what callfunnel does when a PBX's API is down.
"""

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from telephony.mango import stats as mango_stats
from telephony.mango import webhooks as mango
from telephony.simulator.history import PbxHistory
from telephony.zadarma import api as zadarma_api
from telephony.zadarma import webhooks as zadarma

ROUTE_INTERVAL = 2.0  # MANGO: route 1 request per 2 s per product
RATE_LIMITED = {"name": "Service Unavailable", "message": "Rate limit exceeded.", "code": 0, "status": 429}


class PbxApi:
    def __init__(
        self,
        *,
        vendor: str,
        history: PbxHistory,
        mango_key: str = "",
        mango_salt: str = "",
        zadarma_key: str = "",
        zadarma_secret: str = "",
        timezone: str = "Europe/Moscow",
        on_route: Callable[[dict], Awaitable[None]] | None = None,
    ) -> None:
        self.vendor, self.history = vendor, history  # the history is this vendor's calls: served as its API only
        self._mango = (mango_key, mango_salt)
        self._zadarma = (zadarma_key, zadarma_secret)
        self._tz = ZoneInfo(timezone)
        self.on_route = on_route
        self.routes_received: list[float] = []  # monotonic times of every route command that reached us
        self.route_attempts: dict[str, list[float]] = {}  # command_id -> when each attempt came
        self.routes_over_budget = 0
        self.callbacks: list[dict] = []
        self._failing: tuple[str, float] | None = None
        self._reports: dict[str, str] = {}
        self._keys = itertools.count(1)
        self.app = FastAPI(title="simulated PBX APIs")
        self.app.post("/vpbx/{path:path}")(self._mango_request)
        self.app.get("/v1/{path:path}")(self._zadarma_request)

    def fail(self, mode: str, seconds: float) -> None:
        """``mode`` ``500``: commands answer HTTP 500; ``timeout``: they never answer; for ``seconds``."""
        self._failing = (mode, time.monotonic() + seconds)

    async def _outage(self) -> Response | None:
        if self._failing is None or time.monotonic() > self._failing[1]:
            return None
        if self._failing[0] == "timeout":
            await asyncio.sleep(self._failing[1] - time.monotonic() + 1)
        return JSONResponse({"result": 5000, "description": "internal error"}, status_code=500)

    async def _mango_request(self, path: str, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        key, salt = self._mango
        if not key or not mango.signature_valid(form, api_key=key, salt=salt):
            return JSONResponse({"result": 3102}, status_code=401)
        payload = json.loads(form["json"])
        if path == "stats/request" and self.vendor == mango.VENDOR:
            return self._stats_request(payload)
        if path == "stats/result":
            report = self._reports.pop(str(payload.get("key")), None)
            return PlainTextResponse(report) if report is not None else JSONResponse({"result": 3105}, 404)
        if path == "commands/route":
            now = time.monotonic()
            self.routes_received.append(now)
            self.route_attempts.setdefault(str(payload.get("command_id")), []).append(now)
            if len(self.routes_received) > 1 and now - self.routes_received[-2] < ROUTE_INTERVAL:
                self.routes_over_budget += 1
                return JSONResponse(RATE_LIMITED, status_code=429)
        if (failure := await self._outage()) is not None:
            return failure
        if path == "commands/route" and self.on_route is not None:
            asyncio.get_running_loop().create_task(self.on_route(payload))
        elif path == "commands/callback":
            self.callbacks.append(payload)
        return JSONResponse({"result": 1000})

    def _stats_request(self, payload: dict) -> Response:
        try:
            since, until = int(payload["date_from"]), int(payload["date_to"])
        except (KeyError, ValueError):
            return JSONResponse({"result": 3103}, status_code=400)
        fields = [name.strip() for name in str(payload.get("fields", "")).split(",") if name.strip()]
        rows = [call.mango_row() for call in self.history.between(since, until)]
        key = f"report-{next(self._keys)}"
        self._reports[key] = mango_stats.to_csv(rows, fields)
        return JSONResponse({"key": key})

    async def _zadarma_request(self, path: str, request: Request) -> Response:
        params = dict(request.query_params)
        key, secret = self._zadarma
        expected = f"{key}:{zadarma_api.signature(secret=secret, path='/v1/' + path, params=params)}"
        if not key or request.headers.get("authorization") != expected:
            return JSONResponse({"status": "error", "message": "Not authorized"}, status_code=401)
        if path.rstrip("/") == "request/callback":
            self.callbacks.append(params)
            return JSONResponse({"status": "success", "from": params.get("from"), "to": params.get("to")})
        if path.rstrip("/") != "statistics/pbx" or self.vendor != zadarma.VENDOR:
            return JSONResponse({"status": "error", "message": f"unknown method {path}"}, status_code=404)
        try:
            since, until = (self._local(params[name]) for name in ("start", "end"))
        except (KeyError, ValueError):
            return JSONResponse({"status": "error", "message": "start and end are required"}, status_code=400)
        calls = self.history.between(since, until)
        rows = [call.zadarma_row(self._tz, n) for n, call in enumerate(calls)]
        skip, limit = int(params.get("skip", 0)), min(int(params.get("limit", 1000)), 1000)
        page = rows[skip : skip + limit]
        return JSONResponse(
            {"status": "success", "start": params["start"], "end": params["end"], "version": 2, "stats": page}
        )

    def _local(self, value: str) -> float:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=self._tz).timestamp()
