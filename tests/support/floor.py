"""A call centre on a live callfunnel for the console's tests and benchmark: people who sign in
with passwords, a queue on the PBX line, clients, and the PBX speaking the generic protocol."""

import asyncio
import json
import time
from itertools import count

import httpx

from app.auth import passwords
from app.auth.models import Role
from app.database import Database
from app.operators import service as operators_service
from telephony import generic
from tests.support.app import GENERIC_SECRET, UNPROCESSED

LINE = "+74951234567"
CLIENT = "+79123456789"
PASSWORD = "correct horse battery"
_event_ids = count(1)


class Floor:
    def __init__(self, base_url: str, database_url: str) -> None:
        self.base_url = base_url
        self.database_url = database_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.admin_headers: dict = {}
        self.people: dict[str, dict] = {}

    async def close(self) -> None:
        await self.http.aclose()

    async def person(self, name: str, role: Role = Role.operator, **fields) -> dict:
        """A user who signs in with ``PASSWORD`` (already chosen: no change asked at sign-in)."""
        password_hash = await passwords.hashed(PASSWORD)
        db = Database(self.database_url)
        try:
            user, token = await db.run(
                lambda s: operators_service.create_user(
                    session=s, name=name, role=role, password_hash=password_hash, **fields
                )
            )
        finally:
            await db.dispose()
        person = {"id": user.id, "name": name, "headers": {"Authorization": f"Bearer {token}"}}
        self.people[name] = person
        if role == Role.admin and not self.admin_headers:
            self.admin_headers = person["headers"]
        return person

    async def api(self, method: str, path: str, **kwargs) -> dict | list | None:
        response = await self.http.request(method, path, headers=kwargs.pop("headers", self.admin_headers), **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    async def queue(self, members: list[str], **settings) -> dict:
        body = {"name": "sales", "numbers": [LINE], "ring_timeout_seconds": 30, **settings}
        queue = await self.api("POST", "/api/queues", json=body)
        members_body = [{"operator_id": self.people[name]["id"], "position": i} for i, name in enumerate(members)]
        await self.api("PUT", f"/api/queues/{queue['id']}/members", json=members_body)
        return queue

    async def pbx(self, event: str, call_id: str, **fields) -> dict:
        """One signed generic-protocol webhook, stamped now; returns callfunnel's answer."""
        payload = {"event": event, "call_id": call_id, "event_id": f"e{next(_event_ids)}", "timestamp": time.time()}
        body = json.dumps(payload | fields).encode()
        response = await self.http.post(
            "/pbx/generic/events",
            content=body,
            headers={generic.SIGNATURE_HEADER: generic.sign(GENERIC_SECRET, body), "content-type": "application/json"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def incoming(self, call_id: str, caller: str) -> dict:
        """A client calls the line; returns the route callfunnel answers with."""
        return (await self.pbx("incoming", call_id, **{"from": caller, "to": LINE}))["route"]

    async def answered(self, call_id: str, extension: str) -> None:
        await self.pbx("ringing", call_id, extension=extension)
        await self.pbx("answered", call_id, extension=extension)

    async def settled(self, timeout: float = 30.0) -> None:
        """Waits until the server has processed every webhook it acknowledged (a routing webhook
        with nothing to decide is answered at once and applied after, like the others)."""
        db = Database(self.database_url)
        try:
            async with asyncio.timeout(timeout):
                while await db.read(lambda s: s.execute(UNPROCESSED).scalar_one()):
                    await asyncio.sleep(0.02)
        finally:
            await db.dispose()

    async def call_of(self, call_id: str) -> dict:
        """callfunnel's record of the PBX's call ``call_id``, once its webhooks are processed."""
        await self.settled()
        calls = await self.api("GET", "/api/calls", params={"limit": 500})
        return next(c for c in calls["items"] if c["external_id"] == call_id)


async def signed_in_on_shift(page, floor: Floor, name: str) -> None:
    """``name`` signs in on the panel in ``page`` and starts the shift: available for calls."""
    await asyncio.to_thread(page.sign_in, floor.base_url, name, PASSWORD)
    await asyncio.to_thread(page.click, "#start-shift")
    await asyncio.to_thread(page.text_of, "#my-state", "На линии")
