"""A restart is not the operator's fault: a panel dropped by its server stopping (close 1012)
keeps its ringing offer, and after reconnecting to the next process with ``since`` the operator
takes the call."""

import asyncio
import json

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.auth.models import Role
from tests.live_server import Server
from tests.support.floor import CLIENT, Floor


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
