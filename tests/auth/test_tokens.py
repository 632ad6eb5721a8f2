"""Bearer tokens and websocket tickets: a missing or unknown token is 401 with a challenge, a
revoked one stops at once, a ticket is not a token."""

from app.auth import service as auth_service
from app.auth.models import Role
from app.database import utcnow


async def test_no_token_or_an_unknown_one_is_401_with_a_challenge(cf):
    for headers in ({}, {"Authorization": "Bearer nobody"}, {"Authorization": "Basic b2xnYTpzZWNyZXQ="}):
        response = await cf.http.get("/api/calls", headers=headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


async def test_a_revoked_token_stops_working_and_the_user_stays(cf, supervisor):
    olga = await cf.user("olga", Role.operator, extension="101")
    assert (await cf.http.get("/api/offers", headers=olga["headers"])).status_code == 200
    await cf.db.run(lambda s: auth_service.revoke_token(session=s, name="olga", now=utcnow()))
    assert (await cf.http.get("/api/offers", headers=olga["headers"])).status_code == 401
    names = [o["name"] for o in (await cf.http.get("/api/operators", headers=supervisor["headers"])).json()]
    assert "olga" in names


async def test_a_websocket_ticket_is_not_a_bearer_token(cf):
    olga = await cf.user("olga", Role.operator, extension="101")
    issued = await cf.http.post("/api/ws-ticket", headers=olga["headers"])
    assert issued.status_code == 200
    ticket = issued.json()["ticket"]
    assert ticket not in olga["headers"]["Authorization"]
    assert (await cf.http.get("/api/offers", headers={"Authorization": f"Bearer {ticket}"})).status_code == 401
