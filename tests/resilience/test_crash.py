"""The server is killed (SIGKILL) in the middle of a burst and started again on the same database.

The scripted MANGO PBX sends its calls from several connections at once, keeps what was not
acknowledged and sends it again once the server is back (as a retrying PBX would), and drops
some notifications outright — whole calls and summaries — which only the PBX's call history
(reconciliation) can bring back.  Two generic calls wait in a queue across the crash.
"""

import asyncio
import json
import random
import time
from collections import Counter

import httpx

from telephony import generic
from telephony.mango.script import InboundCall
from telephony.simulator.history import FinishedCall
from tests.live_server import Server, admin_token
from tests.resilience.conftest import all_pages
from tests.support.app import GENERIC_SECRET, signed_mango

CALLS = 120
LINE = "74951234567"


def scripted_calls(now: int) -> tuple[list[list[tuple[str, dict]]], list[FinishedCall]]:
    """What the PBX sends per call, and its own history of those calls."""
    rng, sent, history = random.Random(9), [], []
    for n in range(CALLS):
        start, caller = now - 600 + 4 * n, f"7900333{n:04d}"
        call = InboundCall(entry_id=f"crash-{n}", caller=caller, start=start, line=LINE)
        if n % 3 == 0:
            script = call.missed(rung=("101",), code=1110, wait=30)
            history.append(FinishedCall(call.entry_id, f"+{caller}", LINE, start, start + 30, reason="caller_hung_up"))
        else:
            talk = rng.randint(5, 60)
            script = call.answered(extension="101", talk=talk)
            answered = start + 11
            history.append(FinishedCall(call.entry_id, f"+{caller}", LINE, start, answered + talk, answered, "101"))
        sent.append(script)
    return sent, history


class RetryingPbx:
    """Posts notifications over ``connections`` at once; the unacknowledged ones are kept for later."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acknowledged = 0
        self.unacknowledged: list[dict] = []

    async def send(self, calls: list[list[dict]], *, connections: int = 8) -> None:
        queue: asyncio.Queue = asyncio.Queue()
        for notifications in calls:
            queue.put_nowait(notifications)

        async def worker() -> None:
            async with httpx.AsyncClient(base_url=self.url, timeout=10) as http:
                while not queue.empty():
                    notifications = queue.get_nowait()
                    for i, item in enumerate(notifications):
                        try:
                            response = await http.post(f"/pbx/mango{item['path']}", data=item["body"])
                            ok = response.status_code == 200
                        except httpx.TransportError:
                            ok = False
                        if not ok:  # the rest of this call waits with it, in order
                            self.unacknowledged += notifications[i:]
                            break
                        self.acknowledged += 1

        await asyncio.gather(*(worker() for _ in range(connections)))


async def generic_event(http: httpx.AsyncClient, **event) -> dict:
    body = json.dumps(event).encode()
    headers = {generic.SIGNATURE_HEADER: generic.sign(GENERIC_SECRET, body), "content-type": "application/json"}
    response = await http.post("/pbx/generic/events", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_sigkill_mid_burst_loses_nothing(new_database, tmp_path, mango_api, pbx_history):
    api, mango_url = mango_api
    database_url = await new_database()
    token = await admin_token(database_url)
    server = Server(
        database_url,
        tmp_path / "server.log",
        mango_api_url=mango_url,
        reconcile_check_seconds=1,
        sweep_interval_seconds=3600,
    )
    scripts, history = scripted_calls(int(time.time()))
    signed = [[signed_mango(path, payload) for path, payload in script] for script in scripts]
    never_sent = {f"crash-{n}" for n in (7, 50, 101)}  # whole calls lost
    summary_lost = {f"crash-{n}" for n in (4, 20, 64, 88, 119)}  # their last word lost
    to_send = [
        notifications[:-1] if f"crash-{n}" in summary_lost else notifications
        for n, notifications in enumerate(signed)
        if f"crash-{n}" not in never_sent
    ]
    headers = {"Authorization": f"Bearer {token}"}
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as http:
            # A floor with one operator, busy on a call, and two callers waiting for them.
            op = (
                await http.post("/api/operators", json={"name": "olga", "extension": "201", "wrap_up_seconds": 0})
            ).json()
            queue = {"name": "line2", "numbers": ["+74959990000"], "max_wait_seconds": 600}
            queue_id = (await http.post("/api/queues", json=queue)).json()["id"]
            await http.put(f"/api/queues/{queue_id}/members", json=[{"operator_id": op["id"], "position": 0}])
            await http.post(f"/api/operators/{op['id']}/state", json={"state": "available"})
            busy = await generic_event(
                http, event="incoming", call_id="w-0", **{"from": "+79004440000", "to": "+74959990000"}
            )
            assert busy["route"]["action"] == "ring"
            await generic_event(http, event="answered", call_id="w-0", extension="201", seq=5)
            for n in (1, 2):
                waiting = await generic_event(http, event="incoming", call_id=f"w-{n}",
                                              **{"from": f"+7900444000{n}", "to": "+74959990000"})  # fmt: skip
                assert waiting["route"]["action"] == "wait"

        pbx = RetryingPbx(server.url)
        burst = asyncio.create_task(pbx.send(to_send))
        while pbx.acknowledged < sum(map(len, to_send)) * 0.4:
            await asyncio.sleep(0.01)
        server.kill()
        await burst
        assert pbx.unacknowledged, "the kill came too late to interrupt anything"
        for finished in history:  # by now the PBX has finished every call: its history has them all
            pbx_history.add(finished)

        await server.start()
        retry = RetryingPbx(server.url)
        await retry.send([[item] for item in pbx.unacknowledged], connections=1)
        assert retry.unacknowledged == []

        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as http:
            # The call in progress ends; its operator is free and the oldest waiting caller is offered to them.
            await generic_event(http, event="ended", call_id="w-0", reason="completed", seq=9)
            async with asyncio.timeout(30):
                while (await http.get(f"/api/operators/{op['id']}")).json()["state"] != "ringing":
                    await asyncio.sleep(0.2)
            offered = await generic_event(http, event="waiting", call_id="w-1", event_id="w-1-again")
            assert [t["extension"] for t in offered["route"]["targets"]] == ["201"]

            truth = {f.key: ("answered" if f.answered else "abandoned") for f in history}
            async with asyncio.timeout(120):
                while True:
                    calls = {c["external_id"]: c for c in await all_pages(http, "/api/calls")}
                    if all(calls.get(key, {}).get("outcome") for key in truth):
                        break
                    await asyncio.sleep(0.5)
            runs = (await http.get("/api/reconciliation")).json()
            callbacks = {cb["phone"] for cb in await all_pages(http, "/api/callbacks", status="open")}
    finally:
        server.stop()

    assert {key: calls[key]["outcome"] for key in truth} == truth  # every call the PBX made, as it ended
    recovered = {key for key in truth if calls[key]["recovered_at"]}
    assert never_sent | summary_lost <= recovered
    assert Counter(c["finalized_by"] for key, c in calls.items() if key in truth)["sweep"] == 0
    assert calls["w-1"]["outcome"] is None and calls["w-2"]["outcome"] is None  # still waiting, not lost
    assert [run["vendor"] for run in runs] == ["mango"] and runs[0]["last_error"] is None
    assert {f.caller for f in history if not f.answered} <= callbacks
