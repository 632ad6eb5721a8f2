"""``callfunnel simulate``: set up a simulated floor on a running callfunnel, play calls, compare figures.

Set-up goes through callfunnel's REST API with a supervisor's token: operators ``sim-op-N``
(extensions 9001…, a sales skill; an existing one gets a fresh token), two queues on the
simulator's lines (skill priority and round robin, ``command`` mode for MANGO), and with
``demo_data`` a few hundred contacts with owners and deals.  The PBX's own APIs (MANGO
commands and statistics, Zadarma statistics) are served on ``api_port`` for callfunnel to
reach (``CALLFUNNEL_MANGO_API_URL=http://127.0.0.1:<port>/vpbx/``, ``CALLFUNNEL_ZADARMA_API_URL``).
"""

import asyncio
import contextlib
import logging
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import uvicorn

from telephony import generic
from telephony.mango import webhooks as mango
from telephony.simulator.history import PbxHistory
from telephony.simulator.operators import Behaviour, SimOperator
from telephony.simulator.pbx import Callers, VirtualPbx
from telephony.simulator.pbx_api import PbxApi
from telephony.simulator.tally import Tally
from telephony.simulator.wire import GenericWire, MangoWire, Wire, ZadarmaWire
from telephony.zadarma import webhooks as zadarma

log = logging.getLogger(__name__)
VENDORS = (generic.VENDOR, mango.VENDOR, zadarma.VENDOR)
PBX_GROUP = "200"
_LINE_BLOCK = {"generic": "11", "mango": "22", "zadarma": "33"}


@dataclass
class Options:
    vendor: str
    url: str
    token: str  # a supervisor's or admin's
    rate: float = 5.0
    duration: float = 60.0
    operators: int = 10
    seed: int | None = None
    patience: float = 60.0
    secret: str = ""  # generic: CALLFUNNEL_GENERIC_SECRET; zadarma: the API secret
    mango_key: str = ""
    mango_salt: str = ""
    zadarma_key: str = ""
    timezone: str = "Europe/Moscow"
    api_port: int = 8090
    status_every: float = 10.0
    demo_data: bool = False
    behaviour: Behaviour = field(default_factory=Behaviour)


async def simulate(options: Options, *, out=sys.stdout) -> int:
    """Runs the simulation; 0 when callfunnel's reports agree with what happened, 1 when not."""
    rng = random.Random(options.seed)
    lines = lines_of(options.vendor)
    history = PbxHistory()
    headers = {"Authorization": f"Bearer {options.token}"}
    async with httpx.AsyncClient(base_url=options.url, headers=headers, timeout=30) as api:
        operators = await set_up_floor(api, vendor=options.vendor, operators=options.operators, lines=lines, rng=rng)
        numbers = await _demo_data(api, operators, rng) if options.demo_data else []
        async with httpx.AsyncClient(base_url=options.url, timeout=30) as webhooks:
            pbx = virtual_pbx(
                wire=_wire(options, webhooks),
                floor=operators,
                url=options.url,
                behaviour=options.behaviour,
                lines=lines,
                callers=Callers(rate=options.rate, patience=options.patience),
                rng=rng,
                history=history,
                numbers=numbers,
            )
            phones = list(pbx.operators.values())
            pbx_api = PbxApi(
                vendor=options.vendor,
                history=history,
                mango_key=options.mango_key,
                mango_salt=options.mango_salt,
                zadarma_key=options.zadarma_key,
                zadarma_secret=options.secret if options.vendor == zadarma.VENDOR else "",
                timezone=options.timezone,
                on_route=pbx.on_route,
            )
            async with serving(pbx_api, options.api_port):
                for phone in phones:
                    await phone.log_in()
                began = datetime.now(UTC)
                status = asyncio.create_task(_print_status(pbx.tally, options.status_every, out))
                try:
                    await pbx.run(options.duration)
                finally:
                    status.cancel()
                    for phone in phones:
                        await phone.log_out()
                print(
                    ("\r" if out.isatty() else "") + pbx.tally.status_line((datetime.now(UTC) - began).total_seconds()),
                    file=out,
                )
                reported = await reported_totals(api, began, pbx.tally)
    return _summary(pbx.tally, reported, pbx.wire, pbx_api, out)


def virtual_pbx(
    *,
    wire: Wire,
    floor: list[tuple[str, str, str]],
    url: str,
    behaviour: Behaviour,
    lines: list[str],
    callers: Callers,
    rng: random.Random,
    history: PbxHistory | None = None,
    numbers: list[str] | None = None,
) -> VirtualPbx:
    """The PBX with a simulated operator (softphone and panel) for each ``(name, extension, token)``;
    new callers' numbers are +7 916 NN xxxxx, NN from the clock (runs seldom share a number)."""
    ws_url = url.replace("http://", "ws://").replace("https://", "wss://")
    phones = [
        SimOperator(
            name=name, extension=ext, token=token, ws_url=ws_url, behaviour=behaviour, rng=random.Random(rng.random())
        )
        for name, ext, token in floor
    ]
    return VirtualPbx(
        wire=wire,
        operators=phones,
        lines=lines,
        callers=callers,
        rng=rng,
        history=history or PbxHistory(),
        numbers=numbers or [],
        number_prefix=f"+7916{time.time_ns() // 1000 % 100:02d}",
    )


def _wire(options: Options, http: httpx.AsyncClient) -> Wire:
    if options.vendor == mango.VENDOR:
        return MangoWire(http, api_key=options.mango_key, salt=options.mango_salt, group=PBX_GROUP)
    if options.vendor == zadarma.VENDOR:
        return ZadarmaWire(http, secret=options.secret, timezone=options.timezone, group=PBX_GROUP)
    return GenericWire(http, secret=options.secret)


def lines_of(vendor: str) -> list[str]:
    """The simulator's two lines for a vendor (its own block, so runs of several vendors do not mix)."""
    return [f"+7495{_LINE_BLOCK[vendor]}0000{i}" for i in (1, 2)]


async def set_up_floor(
    api: httpx.AsyncClient, *, vendor: str, operators: int, lines: list[str], rng: random.Random, **queue_settings
) -> list[tuple[str, str, str]]:
    """Operators and the two queues; returns ``(name, extension, token)`` of each operator."""
    floor = await _operators(api, operators, rng)
    await _queues(api, vendor, lines, floor, queue_settings)
    return floor


async def _operators(api: httpx.AsyncClient, count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """``(name, extension, token)`` of ``sim-op-1``… (created, or given a fresh token)."""
    existing = {op["name"]: op for op in _ok(await api.get("/api/operators"))}
    result = []
    for i in range(1, count + 1):
        name, extension = f"sim-op-{i}", str(9000 + i)
        if name in existing:
            op = _ok(await api.post(f"/api/operators/{existing[name]['id']}/token"))
            await api.post(f"/api/operators/{op['id']}/state", json={"state": "offline"})
        else:
            body = {"name": name, "extension": extension, "skills": {"sales": rng.randint(3, 9)}, "wrap_up_seconds": 3}
            op = _ok(await api.post("/api/operators", json=body))
        result.append((name, op["extension"], op["token"]))
    return result


async def _queues(api: httpx.AsyncClient, vendor: str, lines: list[str], operators, settings: dict) -> None:
    """Two queues on the simulator's lines, every simulated operator a member of both."""
    ids = {op["name"]: op["id"] for op in _ok(await api.get("/api/operators"))}
    members = [{"operator_id": ids[name], "position": i} for i, (name, _, _) in enumerate(operators)]
    mode = "command" if vendor == mango.VENDOR else "sync"
    wanted = [
        {"name": f"sim-{vendor}-sales", "numbers": [lines[0]], "strategy": "skill_priority", "skill": "sales"},
        {"name": f"sim-{vendor}-service", "numbers": [lines[1]], "strategy": "round_robin"},
    ]
    existing = {q["name"]: q for q in _ok(await api.get("/api/queues"))}
    for queue in wanted:
        queue |= {"mode": mode, "pbx_group": PBX_GROUP, "max_wait_seconds": 120, "ring_timeout_seconds": 15}
        queue |= settings
        if queue["name"] in existing:
            queue_id = existing[queue["name"]]["id"]
            _ok(await api.patch(f"/api/queues/{queue_id}", json={k: v for k, v in queue.items() if k != "name"}))
        else:
            queue_id = _ok(await api.post("/api/queues", json=queue))["id"]
        _ok(await api.put(f"/api/queues/{queue_id}/members", json=members))


async def _demo_data(api: httpx.AsyncClient, operators, rng: random.Random) -> list[str]:
    """A few hundred clients with owners (a client calling back reaches their manager) and deals."""
    names = ("Ivanov", "Petrova", "Sidorov", "Kuznetsova", "Smirnov", "Popova", "Volkov", "Sokolova")
    firms = ("Stroy LLC", "Agro JSC", "Tech Ltd", "Retail Co", None)
    numbers = [f"+7903{rng.randrange(10**7):07d}" for _ in range(300)]
    rows = ["phone,name,company,owner"]
    for i, number in enumerate(numbers):
        owner = operators[i % len(operators)][0] if i % 3 == 0 else ""
        rows.append(f"{number},{rng.choice(names)} {i},{rng.choice(firms) or ''},{owner}")
    _ok(await api.post("/api/contacts/import", content="\n".join(rows), headers={"Content-Type": "text/csv"}))
    stages = _ok(await api.get("/api/pipelines"))[0]["stages"]
    contacts = _ok(await api.get("/api/contacts", params={"limit": 100}))["items"]
    for contact in contacts[:60]:
        if contact.get("owner_id"):
            stage = rng.choice(stages)["id"]
            await api.post("/api/deals", json={"contact_id": contact["id"], "stage_id": stage, "amount": 1000})
    await _method_week(api)
    return numbers


# The method's worked example (README, "Reports"): deals on the list, then reaching each stage —
# Ivanov 80/70/85/96 %, Sidorov 96/90/70/80 % against targets of 100/80/80/95 %.
METHOD_WEEK = {"Ivanov": [59, 47, 33, 28, 27], "Sidorov": [50, 48, 43, 30, 24]}


async def _method_week(api: httpx.AsyncClient) -> None:
    """Two managers' week in the default pipeline, for the console's funnel to show."""
    pipeline = next(p for p in _ok(await api.get("/api/pipelines")) if p["name"] == "sales")
    stages = [stage["id"] for stage in pipeline["stages"]]
    existing = {op["name"]: op["id"] for op in _ok(await api.get("/api/operators"))}
    for index, (name, counts) in enumerate(METHOD_WEEK.items()):
        manager = (
            existing.get(name)
            or _ok(await api.post("/api/operators", json={"name": name, "extension": f"9{index:02d}"}))["id"]
        )
        rows = ["phone,name"] + [f"+7499{index}{n:06d},{name}'s client {n + 1}" for n in range(counts[0])]
        _ok(await api.post("/api/contacts/import", content="\n".join(rows), headers={"Content-Type": "text/csv"}))
        for n in range(counts[0]):
            [contact] = _ok(await api.get("/api/contacts", params={"phone": f"+7499{index}{n:06d}"}))["items"]
            deal = {"contact_id": contact["id"], "pipeline_id": pipeline["id"], "owner_id": manager}
            deal_id = _ok(await api.post("/api/deals", json=deal))["id"]
            for stage, reached in zip(stages, counts[1:], strict=True):
                if n >= reached:
                    break
                _ok(await api.post(f"/api/deals/{deal_id}/stage", json={"stage_id": stage}))


async def reported_totals(api: httpx.AsyncClient, began: datetime, tally: Tally) -> dict:
    """callfunnel's own figures for the run, once it has processed every webhook (or after 60 s)."""
    params = {"since": began.isoformat(), "until": datetime.now(UTC).isoformat(), "by": "queue"}
    deadline, totals = time.monotonic() + 60, {}
    while time.monotonic() < deadline:
        report = _ok(await api.get("/api/reports/calls", params=params))
        totals = _totals(report)
        if (totals["offered"], totals["answered"] + totals["missed"] + totals["abandoned"]) == (tally.calls,) * 2:
            return totals
        await asyncio.sleep(1)
    return totals


def _totals(report: dict) -> dict:
    groups = report["groups"]
    totals = {key: sum(g[key] for g in groups) for key in ("offered", "answered", "missed", "abandoned")}
    totals["callbacks_created"] = report["callbacks"]["created"]
    totals["callbacks_closed"] = report["callbacks"]["done"]
    totals["service_level"] = {g["name"] or "no queue": g["service_level"] for g in groups}
    return totals


def _summary(tally: Tally, reported: dict, wire: Wire, pbx_api: PbxApi, out) -> int:
    rows = [
        ("calls", tally.calls, reported.get("offered")),
        ("answered", tally.answered, reported.get("answered")),
        ("missed", tally.missed, reported.get("missed")),
        ("abandoned", tally.abandoned, reported.get("abandoned")),
        ("callbacks created", tally.callbacks_created, reported.get("callbacks_created")),
        ("callbacks closed", tally.callbacks_closed, reported.get("callbacks_closed")),
    ]
    print(f"\n{'':20}{'simulated PBX':>15}{'callfunnel':>12}", file=out)
    disagree = 0
    for name, ours, theirs in rows:
        mark = "" if ours == theirs else "   <- differs"
        disagree += ours != theirs
        print(f"{name:20}{ours:>15}{theirs if theirs is not None else '-':>12}{mark}", file=out)
    levels = ", ".join(f"{name} {_pct(level)}" for name, level in (reported.get("service_level") or {}).items())
    print(f"{'service level':20}{_pct(tally.service_level):>15}   (callfunnel per queue: {levels or '-'})", file=out)
    print(f"{'average wait':20}{_secs(tally.average_wait):>15}", file=out)
    print(f"webhooks sent: {wire.webhooks}, refused by callfunnel: {tally.webhooks_refused}", file=out)
    if pbx_api.routes_received:
        print(f"MANGO route commands: {len(pbx_api.routes_received)}, over the rate limit: "
              f"{pbx_api.routes_over_budget}", file=out)  # fmt: skip
    print("callfunnel's reports agree." if not disagree else f"{disagree} figure(s) differ.", file=out)
    return 0 if not disagree else 1


def _pct(value: float | None) -> str:
    return f"{value:.1f} %" if value is not None else "-"


def _secs(value: float | None) -> str:
    return f"{value:.1f} s" if value is not None else "-"


async def _print_status(tally: Tally, every: float, out) -> None:
    """One line, rewritten in place on a terminal (a line each time elsewhere)."""
    started, live = time.monotonic(), out.isatty()
    while True:
        await asyncio.sleep(every)
        line = tally.status_line(time.monotonic() - started)
        print(f"\r{line}" if live else line, end="" if live else "\n", file=out, flush=True)


def _ok(response: httpx.Response):
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: {response.status_code} "
                           f"{response.text[:300]}")  # fmt: skip
    return response.json()


@contextlib.asynccontextmanager
async def serving(pbx_api: PbxApi, port: int):
    """The PBX's APIs on loopback while the simulation runs."""
    config = uvicorn.Config(pbx_api.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        await task
