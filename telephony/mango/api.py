"""MANGO OFFICE requests we send: ``commands/route`` and ``commands/callback``, and
``queries/recording/post`` for a recording's file (signed form, httpx).

A command's HTTP reply only acknowledges it (``{"result": 1000}``); its outcome arrives later
on ``/result/<command>`` with the same ``command_id``.
"""

from contextlib import asynccontextmanager
from urllib.parse import urljoin

import httpx

from telephony.mango.webhooks import RESULT_OK, signed_form
from telephony.recordings import RecordingMissing, RecordingRef, RecordingUnavailable, on_the_web, streamed
from telephony.vendor import Command, Reply

RECORDING_NOT_FOUND = 3320  # "3320: recording not found"


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
        return Reply(ok=result == RESULT_OK, retry=False, detail=f"result {result}", blocks_key=3000 <= result < 4000)


class MangoRecordings:
    """``queries/recording/post`` with ``action: download`` answers with a redirect to a one-time
    link to the file (§1.6), followed at once.  ``3320`` (no such recording) is final: asking
    again would risk MANGO's block of a key after two 3xxx answers in two minutes."""

    def __init__(self, *, base_url: str, api_key: str, salt: str, timeout: float, transport) -> None:
        self._api_key, self._salt = api_key, salt
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", timeout=timeout, transport=transport)

    @asynccontextmanager
    async def open(self, ref: RecordingRef):
        payload = {"recording_id": ref.external_id, "action": "download"}
        try:
            response = await self._http.post(
                "queries/recording/post", data=signed_form(self._api_key, self._salt, payload)
            )
        except httpx.TransportError as exc:
            raise RecordingUnavailable(type(exc).__name__) from exc
        if not response.is_redirect:
            raise _refusal(response)
        link = urljoin(str(response.url), response.headers.get("location", ""))
        async with streamed(self._http, link, allowed=on_the_web) as audio:
            yield audio

    async def close(self) -> None:
        await self._http.aclose()


def _refusal(response: httpx.Response) -> Exception:
    if response.status_code == 429 or response.status_code >= 500:
        return RecordingUnavailable(f"HTTP {response.status_code}")
    try:
        result = int(response.json().get("result"))
    except (ValueError, TypeError, AttributeError):
        return RecordingUnavailable(f"HTTP {response.status_code}")
    if result == RECORDING_NOT_FOUND:
        return RecordingMissing(f"result {result}")
    return RecordingUnavailable(f"result {result}")
