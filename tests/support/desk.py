"""Driving distribution the way a PBX and the operators' panels do: the generic protocol
(which asks for a decision and asks again while the caller waits) and the REST API."""

import json
from datetime import timedelta
from itertools import count

from sqlalchemy import select

from app.auth.models import Role
from app.commands.models import PbxCommand
from app.database import utcnow
from app.dispatch.scheduled import tick
from telephony import generic
from tests.support.app import GENERIC_SECRET, Callfunnel

LINE = "+74951234567"
_event_ids = count(1)


class Desk:
    """One call center: a supervisor, operators by extension, and the PBX side."""

    def __init__(self, cf: Callfunnel, supervisor: dict) -> None:
        self.cf = cf
        self.sup = supervisor
        self.operators: dict[str, dict] = {}

    async def operator(
        self, extension: str, *, skills: dict | None = None, state: str = "available", wrap_up_seconds: int = 0
    ) -> dict:
        op = await self.cf.user(f"op{extension}", Role.operator, extension=extension, skills=skills)
        self.operators[extension] = op
        await self.cf.http.patch(
            f"/api/operators/{op['id']}", json={"wrap_up_seconds": wrap_up_seconds}, headers=self.sup["headers"]
        )
        if state != "offline":
            await self.set_state(extension, state)
        return op

    async def queue(self, members: list[str], **settings) -> dict:
        body = {"name": settings.pop("name", "sales"), "numbers": [LINE], **settings}
        response = await self.cf.http.post("/api/queues", json=body, headers=self.sup["headers"])
        assert response.status_code == 201, response.text
        queue = response.json()
        members_body = [{"operator_id": self.operators[ext]["id"], "position": i} for i, ext in enumerate(members)]
        response = await self.cf.http.put(
            f"/api/queues/{queue['id']}/members", json=members_body, headers=self.sup["headers"]
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def set_state(self, extension: str, state: str):
        response = await self.cf.http.post(
            "/api/operators/me/state", json={"state": state}, headers=self.operators[extension]["headers"]
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def state_of(self, extension: str) -> str:
        op = self.operators[extension]
        return (await self.cf.http.get(f"/api/operators/{op['id']}", headers=self.sup["headers"])).json()["state"]

    async def pbx(self, event: str, call_id: str, **fields) -> dict:
        payload = {"event": event, "call_id": call_id, "event_id": f"e{next(_event_ids)}", **fields}
        body = json.dumps(payload).encode()
        response = await self.cf.http.post(
            "/pbx/generic/events",
            content=body,
            headers={generic.SIGNATURE_HEADER: generic.sign(GENERIC_SECRET, body), "content-type": "application/json"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def incoming(self, call_id: str, caller: str = "+79001112233") -> dict:
        """A call arrives; returns the PBX's routing instruction."""
        return (await self.pbx("incoming", call_id, **{"from": caller, "to": LINE}))["route"]

    async def waiting(self, call_id: str) -> dict:
        return (await self.pbx("waiting", call_id))["route"]

    async def answer(self, call_id: str, extension: str) -> None:
        await self.pbx("ringing", call_id, extension=extension)
        await self.pbx("answered", call_id, extension=extension)
        await self.cf.settle()

    async def hang_up(self, call_id: str, reason: str = "completed") -> None:
        await self.pbx("ended", call_id, reason=reason)
        await self.cf.settle()

    async def offers(self, extension: str, status: str = "ringing") -> list[dict]:
        headers = self.operators[extension]["headers"]
        return (await self.cf.http.get("/api/offers", params={"status": status}, headers=headers)).json()

    async def accept(self, extension: str, offer_id: int):
        return await self.cf.http.post(f"/api/offers/{offer_id}/accept", headers=self.operators[extension]["headers"])

    async def reject(self, extension: str, offer_id: int):
        return await self.cf.http.post(f"/api/offers/{offer_id}/reject", headers=self.operators[extension]["headers"])

    async def tick(self, after_seconds: float = 0) -> dict:
        """Fires the dispatch timers as the scheduler would, ``after_seconds`` from now."""
        moment = utcnow() + timedelta(seconds=after_seconds)
        return await self.cf.db.run(lambda session: tick(session, now=moment))

    async def call(self, call_id: str) -> dict:
        calls = (await self.cf.http.get("/api/calls", headers=self.sup["headers"])).json()["items"]
        [match] = [c for c in calls if c["external_id"] == call_id]
        return (await self.cf.http.get(f"/api/calls/{match['id']}", headers=self.sup["headers"])).json()


async def pbx_commands(cf: Callfunnel) -> list[PbxCommand]:
    return await cf.db.read(lambda s: list(s.execute(select(PbxCommand).order_by(PbxCommand.id)).scalars()))


def rung(route: dict) -> list[str]:
    return [t["extension"] for t in route.get("targets", [])] if route["action"] == "ring" else []
