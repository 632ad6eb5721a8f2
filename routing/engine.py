"""Strategies as orderings over the available members, FreeSWITCH-style: each one a short
function whose last tie-break is stable (queue position, then operator id)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

NEVER = datetime.min.replace(tzinfo=UTC)  # idle since forever: an operator who has not had a call yet


class Strategy(StrEnum):
    round_robin = "round_robin"
    ring_all = "ring_all"
    skill_priority = "skill_priority"
    longest_idle = "longest_idle"


@dataclass(frozen=True)
class Member:
    """A queue member as the engine sees it: only ``available`` members are ever chosen."""

    operator_id: int
    position: int = 0
    available: bool = True
    skills: dict[str, int] = field(default_factory=dict)
    idle_since: datetime | None = None  # end of the last call; None: none yet

    def level(self, skill: str | None) -> int:
        return self.skills.get(skill, 0) if skill else 0

    @property
    def stable_key(self) -> tuple[int, int]:
        return (self.position, self.operator_id)


@dataclass(frozen=True)
class QueuePolicy:
    strategy: Strategy
    skill: str | None = None
    min_level: int = 1  # skill_priority admits levels from here ...
    escalate_after_seconds: float | None = None  # ... and, once the caller waited this long,
    escalated_min_level: int = 0  # from here (0: members without the skill too)


@dataclass(frozen=True)
class Sticky:
    """The caller's own manager: ``owner`` (personal manager) or ``recent`` (spoke last N days).

    They need not be a member of the queue, so their availability comes with them."""

    operator_id: int
    rule: str
    available: bool = True


@dataclass(frozen=True)
class WaitingCall:
    waited_seconds: float = 0.0
    sticky: Sticky | None = None  # set only while the sticky window is open
    tried: frozenset[int] = frozenset()  # offered this call already (no answer, rejected)


@dataclass(frozen=True)
class Decision:
    operator_ids: tuple[int, ...]
    rule: str  # which rule chose them: a strategy's name, or the sticky rule


def decide(
    policy: QueuePolicy, members: Sequence[Member], call: WaitingCall, *, last_offered: int | None = None
) -> Decision | None:
    """Who is offered the call now, or None when nobody can be.

    Members the call was already offered to are passed over while anyone else can take it, so
    a call does not bounce between two operators who let it ring; when only they are left,
    they are offered again rather than leaving the caller waiting.
    """
    sticky = call.sticky
    if sticky is not None and sticky.available and sticky.operator_id not in call.tried:
        return Decision((sticky.operator_id,), sticky.rule)
    available = [m for m in members if m.available]
    fresh = [m for m in available if m.operator_id not in call.tried]
    for pool in (fresh, available):
        chosen = _STRATEGIES[policy.strategy](policy, pool, call, last_offered, members)
        if chosen:
            return Decision(tuple(m.operator_id for m in chosen), policy.strategy.value)
    return None


def round_robin(policy, pool, call, last_offered, members) -> list[Member]:
    """The next available member after the one last offered, in queue order (Asterisk rrmemory)."""
    if not pool:
        return []
    ring = sorted(members, key=lambda m: m.stable_key)
    start = next((i + 1 for i, m in enumerate(ring) if m.operator_id == last_offered), 0)
    free = {m.operator_id for m in pool}
    for step in range(len(ring)):
        candidate = ring[(start + step) % len(ring)]
        if candidate.operator_id in free:
            return [candidate]
    return []


def ring_all(policy, pool, call, last_offered, members) -> list[Member]:
    """Every available member at once; the first to take the call wins."""
    return sorted(pool, key=lambda m: m.stable_key)


def skill_priority(policy, pool, call, last_offered, members) -> list[Member]:
    """The highest level of the queue's skill; ties by longest idle, then queue order."""
    floor = policy.min_level
    if policy.escalate_after_seconds is not None and call.waited_seconds >= policy.escalate_after_seconds:
        floor = min(floor, policy.escalated_min_level)
    admitted = [m for m in pool if m.level(policy.skill) >= floor]
    ranked = sorted(admitted, key=lambda m: (-m.level(policy.skill), m.idle_since or NEVER, m.stable_key))
    return ranked[:1]


def longest_idle(policy, pool, call, last_offered, members) -> list[Member]:
    """The member whose last call ended longest ago (never had one: first)."""
    ranked = sorted(pool, key=lambda m: (m.idle_since or NEVER, m.stable_key))
    return ranked[:1]


_STRATEGIES = {
    Strategy.round_robin: round_robin,
    Strategy.ring_all: ring_all,
    Strategy.skill_priority: skill_priority,
    Strategy.longest_idle: longest_idle,
}
