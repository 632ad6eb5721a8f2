from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from app.auth.deps import Supervisor
from app.deps import DbDep
from app.errors import Unprocessable
from app.reconcile.models import Reconciliation

router = APIRouter(prefix="/api/reconciliation", tags=["reconciliation"])


class ReconciliationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    vendor: str
    read_until: datetime | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    calls_seen: int
    calls_created: int
    calls_completed: int


@router.get("")
async def state(db: DbDep, _user: Supervisor) -> list[ReconciliationOut]:
    """How far each PBX's call history has been read, and what the last run found."""
    rows = await db.read(lambda s: list(s.execute(select(Reconciliation).order_by(Reconciliation.vendor)).scalars()))
    return [ReconciliationOut.model_validate(row) for row in rows]


@router.post("/run")
async def run_now(request: Request, _user: Supervisor, vendor: str | None = None) -> list[ReconciliationOut]:
    """Reads the PBXs' call history now (after an outage you know of), without waiting for the schedule."""
    reconciler = request.app.state.reconciler
    vendors = [vendor] if vendor else list(reconciler.sources)
    unknown = [v for v in vendors if v not in reconciler.sources]
    if unknown:
        raise Unprocessable(f"no call history configured for {', '.join(unknown)}; have {list(reconciler.sources)}")
    results = [await reconciler.run(v) for v in vendors]
    return [ReconciliationOut.model_validate(row) for row in results if row is not None]
