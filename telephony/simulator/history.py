"""What the simulated PBX knows of its finished calls, served as each vendor's call history."""

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

MANGO_CODES = {"completed": 1110, "caller_hung_up": 1110, "queue_timeout": 1163, "no_operators": 1160}
ZADARMA_DISPOSITIONS = {"caller_hung_up": "cancel", "queue_timeout": "no answer", "no_operators": "no answer"}


@dataclass
class FinishedCall:
    key: str  # the vendor's call id (MANGO entry_id, Zadarma pbx_call_id, generic call_id)
    caller: str
    line: str
    started: float  # Unix seconds
    ended: float
    answered: float | None = None
    extension: str | None = None  # who answered
    reason: str = "completed"  # completed, caller_hung_up, queue_timeout, no_operators

    def mango_row(self) -> dict:
        return {
            "entry_id": self.key,
            "start": int(self.started),
            "finish": int(self.ended),
            "answer": int(self.answered) if self.answered else 0,
            "from_extension": "",
            "from_number": self.caller.lstrip("+"),
            "to_extension": self.extension or "",
            "to_number": self.line.lstrip("+"),
            "disconnect_reason": MANGO_CODES.get(self.reason, 1100),
            "line_number": self.line.lstrip("+"),
        }

    def zadarma_row(self, tz: ZoneInfo, n: int) -> dict:
        local = datetime.fromtimestamp(self.started, tz=UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        return {
            "call_id": f"{int(self.started)}.{n}",
            "sip": self.caller.lstrip("+"),
            "callstart": local,
            "clid": self.caller.lstrip("+"),
            "destination": self.extension or self.line.lstrip("+"),
            "disposition": "answered" if self.answered else ZADARMA_DISPOSITIONS.get(self.reason, "no answer"),
            "seconds": int(self.ended - (self.answered or self.ended)),
            "is_recorded": "false",
            "pbx_call_id": self.key,
        }


class PbxHistory:
    def __init__(self) -> None:
        self.calls: list[FinishedCall] = []

    def add(self, call: FinishedCall) -> None:
        self.calls.append(call)

    def between(self, since: float, until: float) -> list[FinishedCall]:
        return [call for call in self.calls if since <= call.started <= until]
