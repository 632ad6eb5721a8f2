"""A restart is not the operator's fault: a panel dropped by its server stopping (close 1012)
keeps its ringing offer, and after reconnecting to the next process with ``since`` the operator
takes the call."""

import asyncio
import json
import time

import httpx
from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.auth.models import Role
from app.calls.models import Call
from app.database import Database
from telephony import generic
from tests.live_server import Server
from tests.support.app import GENERIC_SECRET
from tests.support.floor import CLIENT, LINE, Floor


async def next_of(panel, kind: str) -> dict:
    async with asyncio.timeout(10):
        while True:
            frame = json.loads(await panel.recv())
            if frame["type"] == kind:
                return frame


async def test_a_ringing_offer_survives_a_restart_of_the_server(database_url, tmp_path):
    live = Server(database_url, tmp_path / "server.log")
    await live.start()
    floor = Floor(live.url, database_url)
    try:
        await floor.person("boss", Role.admin)
        olga = await floor.person("olga", extension="101")
        await floor.queue(["olga"])
        token = olga["headers"]["Authorization"].split()[1]
        ws = live.url.replace("http", "ws")
        async with connect(f"{ws}/ws/operator?token={token}") as panel:
            await next_of(panel, "snapshot")
            await panel.send(json.dumps({"type": "set_state", "v": 1, "id": "1", "state": "available"}))
            await next_of(panel, "ack")
            route = await floor.incoming("c-1", CLIENT)
            offer = await next_of(panel, "offer")
            assert offer["offer_id"] == route["targets"][0]["offer_id"]
            live.stop()  # SIGTERM, as a deployment restarts it
            try:
                await next_of(panel, "never")
            except ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 1012

        await live.start()
        async with connect(f"{ws}/ws/operator?token={token}&since={offer['seq']}") as panel:
            await panel.send(json.dumps({"type": "accept", "v": 1, "id": "2", "offer_id": offer["offer_id"]}))
            taken = await next_of(panel, "ack")
            assert taken["result"] == {"offer_id": offer["offer_id"], "call_id": offer["call_id"], "status": "accepted"}
        accepted = await floor.api("GET", "/api/offers", params={"status": "accepted"}, headers=olga["headers"])
        assert [o["id"] for o in accepted] == [offer["offer_id"]]
    finally:
        await floor.close()
        live.stop()


async def test_a_stop_in_the_middle_of_a_burst_loses_nothing(database_url, tmp_path):
    """SIGTERM while webhooks pour in and three panels are open: every webhook acknowledged before
    the stop is processed, the PBX's retries of the rest land on the next process, and each panel
    reconnects to it and carries on from the last event it saw."""
    live = Server(database_url, tmp_path / "server.log")
    await live.start()
    floor = Floor(live.url, database_url)
    ws = live.url.replace("http", "ws")
    names = ["olga", "ivan", "petr"]
    calls = [f"burst-{n}" for n in range(60)]
    acknowledged: list[str] = []
    back_up = asyncio.Event()
    try:
        await floor.person("boss", Role.admin)
        tokens = {}
        for n, name in enumerate(names):
            person = await floor.person(name, extension=str(101 + n))
            tokens[name] = person["headers"]["Authorization"].split()[1]
        await floor.queue(names)
        panels = [await connect(f"{ws}/ws/operator?token={tokens[name]}") for name in names]
        last_seq = []
        for panel in panels:
            last_seq.append((await next_of(panel, "snapshot")).get("seq", 0))
            await panel.send(json.dumps({"type": "set_state", "v": 1, "id": "1", "state": "available"}))
            await next_of(panel, "ack")

        async def deliver(payload: dict) -> None:
            """As a PBX does: until it is acknowledged, again once the server is back."""
            body = json.dumps(payload).encode()
            headers = {generic.SIGNATURE_HEADER: generic.sign(GENERIC_SECRET, body), "content-type": "application/json"}
            while True:
                try:
                    async with httpx.AsyncClient(base_url=live.url, timeout=10) as http:
                        if (await http.post("/pbx/generic/events", content=body, headers=headers)).status_code == 200:
                            acknowledged.append(payload["event_id"])
                            return
                except httpx.TransportError:
                    pass
                await back_up.wait()

        async def caller(call_ids: list[str]) -> None:
            for call_id in call_ids:
                incoming = {"event": "incoming", "call_id": call_id, "from": CLIENT, "to": LINE}
                await deliver(incoming | {"event_id": f"{call_id}-in", "timestamp": time.time()})
                ended = {"event": "ended", "call_id": call_id, "reason": "caller_hung_up"}
                await deliver(ended | {"event_id": f"{call_id}-end", "timestamp": time.time()})

        async def read_until_closed(index: int) -> int:
            try:
                async with asyncio.timeout(30):
                    while True:
                        last_seq[index] = max(last_seq[index], json.loads(await panels[index].recv()).get("seq", 0))
            except ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None

        readers = [asyncio.create_task(read_until_closed(i)) for i in range(len(panels))]
        callers = [asyncio.create_task(caller(calls[i::4])) for i in range(4)]
        async with asyncio.timeout(30):
            while len(acknowledged) < 40:
                await asyncio.sleep(0.005)
        live.process.terminate()  # SIGTERM, mid-burst
        assert await asyncio.gather(*readers) == [1012] * len(panels)  # "service restart": come back
        await asyncio.to_thread(live.process.wait, 30)
        before_restart = list(acknowledged)
        await live.start()  # the next process, on the same address
        back_up.set()
        async with asyncio.timeout(60):
            await asyncio.gather(*callers)

        for index, name in enumerate(names):  # each panel resumes where it was
            async with connect(f"{ws}/ws/operator?token={tokens[name]}&since={last_seq[index]}") as panel:
                await panel.send(json.dumps({"type": "set_state", "v": 1, "id": "2", "state": "available"}))
                async with asyncio.timeout(10):
                    while (frame := json.loads(await panel.recv()))["type"] != "ack":
                        assert frame.get("seq", last_seq[index] + 1) > last_seq[index]  # nothing seen twice
                assert frame["result"]["state"] in ("available", "ringing")

        db = Database(database_url)
        outcomes_query = select(Call.external_id, Call.outcome).where(Call.vendor == "generic")
        try:
            async with asyncio.timeout(30):
                while True:  # the next process works through what the stop left
                    outcomes = await db.read(lambda s: dict(s.execute(outcomes_query).all()))
                    if len(outcomes) == len(calls) and None not in outcomes.values():
                        break
                    await asyncio.sleep(0.1)
        finally:
            await db.dispose()
        assert 40 <= len(before_restart) < 2 * len(calls)  # the stop came mid-burst
        assert sorted(outcomes) == sorted(calls) and set(outcomes.values()) <= {"abandoned", "missed", "answered"}
    finally:
        await floor.close()
        live.stop()
