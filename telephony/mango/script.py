"""Scripted MANGO OFFICE call sequences in the real wire format (the shapes of pbx-formats.md §1.10).

What a MANGO PBX posts for one call, as ``(path, payload)`` pairs in sending order; sign them
with ``mango.signed_form``.  Tests and benchmarks play these against callfunnel.
"""

import base64
from dataclasses import dataclass
from typing import Any

Notification = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class InboundCall:
    """One inbound call through the IVR and a group queue."""

    entry_id: str
    caller: str
    start: int  # Unix seconds
    line: str = "74951234567"
    group: str = "200"

    def leg(self, n: int) -> str:
        return base64.b64encode(f"1:{self.entry_id}:{n}".encode()).decode()

    def event(self, leg: int, seq: int, at: int, state: str, location: str, **extra) -> Notification:
        payload = {
            "entry_id": self.entry_id,
            "call_id": self.leg(leg),
            "timestamp": at,
            "seq": seq,
            "call_state": state,
            "location": location,
            "from": {"number": self.caller},
        }
        payload.update(extra)
        return "events/call", payload

    def to_queue(self) -> dict:
        return {"to": {"number": self.line, "line_number": self.line, "acd_group": self.group}}

    def to_agent(self, extension: str) -> dict:
        return {
            "to": {
                "extension": extension,
                "number": f"sip:agent{extension}@vpbx.mangosip.ru",
                "line_number": self.line,
                "acd_group": self.group,
            }
        }

    def _entry(self) -> list[Notification]:
        t = self.start
        return [
            self.event(1, 1, t, "Appeared", "ivr", to={"number": self.line, "line_number": self.line}),
            self.event(
                1,
                2,
                t + 5,
                "Disconnected",
                "ivr",
                to={"number": self.line, "line_number": self.line},
                disconnect_reason=1100,
            ),
            self.event(2, 1, t + 5, "Appeared", "queue", **self.to_queue()),
        ]

    def answered(
        self, *, missed_by: tuple[str, ...] = (), extension: str = "101", talk: int = 60
    ) -> list[Notification]:
        """Rings ``missed_by`` in turn (20 s each, no answer), then ``extension`` answers and talks."""
        events, t, leg = self._entry(), self.start + 6, 3
        for other in missed_by:
            events += [
                self.event(leg, 1, t, "Appeared", "abonent", **self.to_agent(other)),
                self.event(leg, 2, t + 20, "Disconnected", "abonent", disconnect_reason=1111, **self.to_agent(other)),
            ]
            t, leg = t + 20, leg + 1
        answered_at, end = t + 5, t + 5 + talk
        events += [
            self.event(leg, 1, t, "Appeared", "abonent", **self.to_agent(extension)),
            self.event(leg, 2, answered_at, "Connected", "abonent", **self.to_agent(extension)),
            self.event(2, 2, answered_at, "Disconnected", "queue", disconnect_reason=1100, **self.to_queue()),
            self.event(leg, 3, end, "Disconnected", "abonent", disconnect_reason=1110, **self.to_agent(extension)),
        ]
        return events + [self.summary(end, answered_at=answered_at, extension=extension, code=1110)]

    def missed(self, *, rung: tuple[str, ...] = ("101",), code: int = 1163, wait: int = 120) -> list[Notification]:
        """Rings each of ``rung`` without an answer; the queue gives up with ``code`` (1110: the caller hung up)."""
        events, t, leg = self._entry(), self.start + 6, 3
        for extension in rung:
            events += [
                self.event(leg, 1, t, "Appeared", "abonent", **self.to_agent(extension)),
                self.event(
                    leg, 2, t + 20, "Disconnected", "abonent", disconnect_reason=1111, **self.to_agent(extension)
                ),
            ]
            t, leg = t + 20, leg + 1
        end = max(t, self.start + wait)
        events.append(self.event(2, 2, end, "Disconnected", "queue", disconnect_reason=code, **self.to_queue()))
        return events + [self.summary(end, answered_at=None, extension=self.group, code=code)]

    def summary(self, end: int, *, answered_at: int | None, extension: str, code: int) -> Notification:
        return "events/summary", {
            "entry_id": self.entry_id,
            "call_direction": 1,
            "from": {"number": self.caller},
            "to": {"extension": extension},
            "line_number": self.line,
            "create_time": self.start,
            "forward_time": self.start + 5 if answered_at else 0,
            "talk_time": answered_at or 0,
            "end_time": end,
            "entry_result": 1 if answered_at else 0,
            "disconnect_reason": code,
        }
