"""Sign-ins a day after they ended and websocket tickets an hour after they expired are pruned;
a live sign-in is untouched and keeps working."""

from datetime import timedelta

from sqlalchemy import select, update

from app.auth import retention
from app.auth import service as auth_service
from app.auth.models import LoginSession, WsTicket
from app.database import utcnow


async def test_ended_sign_ins_and_expired_tickets_are_pruned_and_live_ones_stay(cf, supervisor):
    created = await cf.http.post(
        "/api/operators",
        json={"name": "olga", "extension": "101", "password": "first-pass-123"},
        headers=supervisor["headers"],
    )
    assert created.status_code == 201, created.text
    tokens = []
    for _ in range(2):
        signed = await cf.http.post("/api/auth/login", json={"name": "olga", "password": "first-pass-123"})
        tokens.append(signed.json()["token"])
    ended, live = tokens
    assert (await cf.http.post("/api/auth/logout", headers={"Authorization": f"Bearer {ended}"})).status_code == 204
    assert (await cf.http.post("/api/ws-ticket", headers=supervisor["headers"])).status_code == 200
    assert (await cf.http.post("/api/ws-ticket", headers=supervisor["headers"])).status_code == 200
    old_ticket = await cf.db.read(lambda s: s.execute(select(WsTicket.id).order_by(WsTicket.id)).scalars().first())

    def age(session) -> None:
        session.execute(
            update(LoginSession).where(LoginSession.ended_at.is_not(None)).values(ended_at=utcnow() - timedelta(days=2))
        )
        session.execute(
            update(WsTicket).where(WsTicket.id == old_ticket).values(expires_at=utcnow() - timedelta(hours=2))
        )

    await cf.db.run(age)
    assert await retention.prune(db=cf.db) == 2
    sessions = await cf.db.read(lambda s: s.execute(select(LoginSession.digest)).scalars().all())
    assert sessions == [auth_service.token_digest(live)]
    tickets = await cf.db.read(lambda s: s.execute(select(WsTicket.id)).scalars().all())
    assert old_ticket not in tickets and len(tickets) == 1
    assert await cf.db.read(lambda s: auth_service.authenticate(session=s, token=live, now=utcnow())) is not None
