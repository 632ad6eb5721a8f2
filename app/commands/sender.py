"""Sends committed commands to the PBXs' APIs, one at a time, and records the replies."""

import asyncio
import contextlib
import logging

import httpx

from app.commands import flows
from app.database import Database, utcnow
from app.settings import Settings
from telephony import mango, zadarma
from telephony.mango_api import MangoClient, Reply
from telephony.zadarma_api import ZadarmaClient

log = logging.getLogger(__name__)


class CommandSender:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        poll_seconds: float = 0.5,
    ) -> None:
        self._db = db
        self._settings = settings
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        timeout = settings.pbx_request_timeout_seconds
        self.mango = (
            MangoClient(
                base_url=settings.mango_api_url,
                api_key=settings.mango_api_key,
                salt=settings.mango_api_salt,
                timeout=timeout,
                transport=transport,
            )
            if settings.mango_api_key and settings.mango_api_salt
            else None
        )
        self.zadarma = (
            ZadarmaClient(
                base_url=settings.zadarma_api_url,
                api_key=settings.zadarma_api_key,
                secret=settings.zadarma_secret,
                timeout=timeout,
                transport=transport,
            )
            if settings.zadarma_api_key and settings.zadarma_secret
            else None
        )

    def wake(self) -> None:
        self._wake.set()

    async def send_due(self) -> int:
        """Sends every command that is due now; returns how many went out."""
        jobs = await self._db.run(lambda session: flows.claim_due(session=session, now=utcnow()))
        for job in jobs:
            try:
                reply = await self._send(job)
            except Exception as exc:  # a bug in a client must not leave the command "sent" forever
                log.exception("command %s could not be sent", job.command_id)
                reply = Reply(ok=False, retry=False, detail=f"not sent: {exc}")
            await self._db.run(
                lambda session, job=job, reply=reply: flows.record_reply(
                    session=session, command_pk=job.id, reply=reply, now=utcnow()
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
        for client in (self.mango, self.zadarma):
            if client is not None:
                await client.close()

    async def _send(self, job: flows.Outgoing) -> Reply:
        if job.vendor == mango.VENDOR and self.mango is not None:
            if job.kind == "route":
                return await self.mango.route(command_id=job.command_id, call_id=job.leg_key, to_number=job.target)
            return await self.mango.callback(
                command_id=job.command_id,
                extension=job.target,
                to_number=job.to_number,
                line_number=self._settings.mango_line_number,
            )
        if job.vendor == zadarma.VENDOR and self.zadarma is not None and job.kind == "callback":
            return await self.zadarma.callback(from_=job.target, to=job.to_number)
        return Reply(ok=False, retry=False, detail=f"{job.vendor} cannot {job.kind} (or its API is not configured)")
