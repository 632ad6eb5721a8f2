"""What really happened on the simulated PBX, in a call-center manager's figures."""

from dataclasses import dataclass, field

SERVICE_LEVEL_SECONDS = 20


@dataclass
class Tally:
    calls: int = 0
    answered: int = 0
    missed: int = 0
    abandoned: int = 0
    in_progress: int = 0
    waiting: int = 0
    answered_quickly: int = 0  # within SERVICE_LEVEL_SECONDS of entering the queue
    queued_and_left: int = 0  # entered the queue and left it answered, missed or abandoned
    waits: list[float] = field(default_factory=list)  # of answered calls
    callbacks_created: int = 0
    callbacks_closed: int = 0
    webhooks_refused: int = 0
    _open_callbacks: set[str] = field(default_factory=set)

    def arrived(self) -> None:
        self.calls += 1
        self.in_progress += 1

    def ended(self, *, outcome: str, caller: str, waited: float | None) -> None:
        """``waited``: seconds in the queue (None: the caller never reached it)."""
        self.in_progress -= 1
        setattr(self, outcome, getattr(self, outcome) + 1)
        if waited is not None:
            self.queued_and_left += 1
            if outcome == "answered":
                self.waits.append(waited)
                self.answered_quickly += int(waited) <= SERVICE_LEVEL_SECONDS
        if outcome == "answered" and caller in self._open_callbacks:
            self._open_callbacks.discard(caller)
            self.callbacks_closed += 1
        elif outcome != "answered" and caller not in self._open_callbacks:
            self._open_callbacks.add(caller)
            self.callbacks_created += 1

    @property
    def open_callbacks(self) -> int:
        return len(self._open_callbacks)

    @property
    def service_level(self) -> float | None:
        return round(100 * self.answered_quickly / self.queued_and_left, 1) if self.queued_and_left else None

    @property
    def average_wait(self) -> float | None:
        return round(sum(self.waits) / len(self.waits), 1) if self.waits else None

    def status_line(self, elapsed: float) -> str:
        return (
            f"[{elapsed:5.0f}s] in progress {self.in_progress:3d} | waiting {self.waiting:3d} | "
            f"answered {self.answered:4d} | missed {self.missed:3d} | abandoned {self.abandoned:3d} | "
            f"open callbacks {self.open_callbacks:3d}"
        )
