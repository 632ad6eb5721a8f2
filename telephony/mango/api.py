"""MANGO OFFICE commands we send: ``commands/route`` and ``commands/callback`` (signed form, httpx).

The HTTP reply only acknowledges the command (``{"result": 1000}``); its outcome arrives later
on ``/result/<command>`` with the same ``command_id``.
"""

import httpx

from telephony.mango.webhooks import RESULT_OK, signed_form
from telephony.vendor import Command, Reply


class MangoClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        salt: str,
        line_number: str = "",
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._api_key, self._salt = api_key, salt
        self._line_number = line_number  # the caller-ID line for click-to-call; "": the employee's default
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", timeout=timeout, transport=transport)

    async def send(self, command: Command) -> Reply:
        if command.kind == "route":
            return await self.route(command_id=command.command_id, call_id=command.leg_key, to_number=command.target)
        return await self.callback(
            command_id=command.command_id,
            extension=command.target,
            to_number=command.to_number,
            line_number=self._line_number,
        )

    async def route(self, *, command_id: str, call_id: str, to_number: str) -> Reply:
        """Moves a call waiting in the IVR or a queue (the leg ``call_id``) to an extension or group."""
        return await self._send(
            "commands/route", {"command_id": command_id, "call_id": call_id, "to_number": to_number}
        )

    async def callback(self, *, command_id: str, extension: str, to_number: str, line_number: str | None) -> Reply:
        """Rings the operator's extension, then dials the client."""
        payload = {"command_id": command_id, "from": {"extension": extension}, "to_number": to_number}
        if line_number:
            payload["line_number"] = line_number
        return await self._send("commands/callback", payload)

    async def close(self) -> None:
        await self._http.aclose()

    async def _send(self, path: str, payload: dict) -> Reply:
        try:
            response = await self._http.post(path, data=signed_form(self._api_key, self._salt, payload))
        except httpx.TransportError as exc:  # includes timeouts: the command may or may not have run
            return Reply(ok=False, retry=True, detail=f"{type(exc).__name__}: {exc}")
        if response.status_code == 429 or response.status_code >= 500:
            return Reply(ok=False, retry=True, detail=f"HTTP {response.status_code}")
        try:
            result = int(response.json().get("result"))
        except (ValueError, TypeError, AttributeError):
            return Reply(ok=False, retry=False, detail=f"HTTP {response.status_code}: {response.text[:200]}")
        # 3xxx (bad parameters) must never be repeated: MANGO blocks a key after more than one per 2 minutes.
        return Reply(ok=result == RESULT_OK, retry=False, detail=f"result {result}")
