"""Sends committed commands to the PBXs' APIs, one at a time, and records the replies."""

import asyncio
import contextlib
import logging

import httpx

from app.database import Database, utcnow
from app.flows import pbx_commands
from telephony.vendor import Command, CommandClient, Reply, Vendor

log = logging.getLogger(__name__)


class CommandSender:
    def __init__(
        self,
        db: Database,
        vendors: dict[str, Vendor],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        poll_seconds: float = 0.5,
    ) -> None:
        self._db = db
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self.clients: dict[str, CommandClient] = {
            name: client for name, vendor in vendors.items() if (client := vendor.command_client(transport))
        }
        self.route_budgets = {name: vendor.route_budget for name, vendor in vendors.items() if vendor.route_budget}
        self.refusal_pauses = pbx_commands.refusal_pauses(vendors)
        self.callback_budgets = {
            name: vendor.callback_budget for name, vendor in vendors.items() if vendor.callback_budget
        }
        capable = [vendor.title for vendor in vendors.values() if vendor.places_calls]
        unable = [vendor.title for vendor in vendors.values() if vendor.accepts_webhooks and not vendor.places_calls]
        self.no_click_to_call = "click-to-call needs a PBX whose call API is configured (" + ", ".join(capable) + ")"
        if unable:
            self.no_click_to_call += f"; {', '.join(unable)} cannot place calls from callfunnel"

    def click_to_call_vendor(self) -> str | None:
        """The vendor that places click-to-calls: the first, in registry order, whose API is configured."""
        return next(iter(self.clients), None)

    def wake(self) -> None:
        self._wake.set()

    async def send_due(self) -> int:
        """Sends every command that is due now; returns how many went out."""
        jobs = await self._db.run(
            lambda session: pbx_commands.claim_due(
                session=session, now=utcnow(), route_budgets=self.route_budgets, callback_budgets=self.callback_budgets
            )
        )
        for job in jobs:
            try:
                reply = await self._send(job)
            except Exception as exc:  # a bug in a client must not leave the command "sent" forever
                log.exception("command %s could not be sent", job.command_id)
                reply = Reply(ok=False, retry=False, detail=f"not sent: {exc}")
            await self._db.run(
                lambda session, job=job, reply=reply: pbx_commands.record_reply(
                    session=session, command_pk=job.id, reply=reply, now=utcnow(), refusal_pauses=self.refusal_pauses
                )
            )
        return len(jobs)

    async def run(self) -> None:
        while True:
            try:
                await self.send_due()
            except Exception:
                log.exception("sending PBX commands failed; retrying shortly")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await self._wake.wait()
            self._wake.clear()

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close()

    async def _send(self, job: pbx_commands.Outgoing) -> Reply:
        client = self.clients.get(job.vendor)
        if client is None:
            return Reply(ok=False, retry=False, detail=f"{job.vendor} cannot {job.kind} (or its API is not configured)")
        return await client.send(
            Command(job.command_id, job.kind, job.target, leg_key=job.leg_key, to_number=job.to_number)
        )
