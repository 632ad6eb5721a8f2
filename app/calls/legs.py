"""A call's legs on the write path: plain records, read and written with core statements.

Every webhook re-reads and re-derives its call's legs; as ORM objects they cost more than the
processing itself (an instance and its change tracking per leg on load, one UPDATE per changed
leg on flush).  ``Leg`` has ``CallLeg``'s columns; ``LegRows`` reads a batch's legs in one query,
remembers what it read, and writes back the new legs in one statement and the changed ones in
another.  A leg is known by its call and its vendor id (unique), so nothing needs its row id.
"""

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.orm import Session

from app.calls.models import CallLeg


@dataclass(slots=True, eq=False)
class Leg:
    call_id: int
    external_id: str
    kind: str
    state: str
    seq: int | None = None
    extension: str | None = None
    group_number: str | None = None
    client_number: str | None = None
    line_number: str | None = None
    command_id: str | None = None
    end_reason: str | None = None
    end_code: str | None = None
    appeared_at: datetime | None = None
    connected_at: datetime | None = None
    ended_at: datetime | None = None
    dispatch_step: str | None = None


_TABLE = CallLeg.__table__
_COLUMNS = tuple(f.name for f in fields(Leg))
_MUTABLE = tuple(name for name in _COLUMNS if name not in ("call_id", "external_id"))
_values = attrgetter(*_MUTABLE)
_SELECT = select(*(_TABLE.c[name] for name in _COLUMNS)).where(
    _TABLE.c.call_id.in_(bindparam("call_ids", expanding=True))
)
_INSERT = insert(_TABLE)
_UPDATE = (
    update(_TABLE)
    .where(and_(_TABLE.c.call_id == bindparam("leg_call_id"), _TABLE.c.external_id == bindparam("leg_external_id")))
    .values({name: bindparam(f"new_{name}") for name in _MUTABLE})
)
_UPDATE_KEYS = tuple(f"new_{name}" for name in _MUTABLE)


class LegRows:
    """The legs of a batch's calls, by call id and then by vendor leg id."""

    def __init__(self) -> None:
        self.by_call: dict[int, dict[str, Leg]] = defaultdict(dict)
        self._saved: dict[tuple[int, str], tuple] = {}  # what the database holds, by (call id, leg id)

    @classmethod
    def load(cls, session: Session, call_ids: list[int]) -> "LegRows":
        rows = cls()
        if call_ids:
            for values in session.execute(_SELECT, {"call_ids": call_ids}):
                leg = Leg(*values)
                rows.by_call[leg.call_id][leg.external_id] = leg
                rows._saved[leg.call_id, leg.external_id] = _values(leg)
        return rows

    def save(self, session: Session) -> None:
        """Writes the legs added or changed since they were read (or last saved)."""
        new, changed = [], []
        for legs in self.by_call.values():
            for leg in legs.values():
                key, values = (leg.call_id, leg.external_id), _values(leg)
                saved = self._saved.get(key)
                if saved is None:
                    new.append({name: getattr(leg, name) for name in _COLUMNS})
                elif saved != values:
                    where = {"leg_call_id": leg.call_id, "leg_external_id": leg.external_id}
                    changed.append(dict(zip(_UPDATE_KEYS, values, strict=True)) | where)
                self._saved[key] = values
        if new:
            session.execute(_INSERT, new)
        if changed:
            session.execute(_UPDATE, changed)
