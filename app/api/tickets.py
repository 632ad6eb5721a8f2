"""``POST /api/ws-ticket``: a ticket for opening a websocket without a token in its URL."""

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel

from app.auth import tickets
from app.auth.deps import CurrentUser
from app.auth.service import token_digest
from app.database import utcnow
from app.deps import DbDep

router = APIRouter(prefix="/api", tags=["users"])


class TicketOut(BaseModel):
    ticket: str  # for ?ticket= on /ws/operator or /ws/supervisor: once, within 30 s
    expires_at: datetime


@router.post("/ws-ticket", response_model=TicketOut)
async def ws_ticket(request: Request, db: DbDep, user: CurrentUser) -> dict:
    """A single-use ticket, valid 30 s, that opens a websocket as you (``?ticket=``); the socket
    closes (code 4401) when the token that asked for it is revoked or reissued."""
    digest = token_digest(request.headers["authorization"].split(" ", 1)[1].strip())
    ticket, expires_at = await db.run(
        lambda s: tickets.issue(session=s, user_id=user.id, token_digest=digest, now=utcnow())
    )
    return {"ticket": ticket, "expires_at": expires_at}
