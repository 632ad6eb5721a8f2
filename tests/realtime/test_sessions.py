"""Websocket sessions end when their credentials do: tickets instead of tokens in URLs, sockets
closed with 4401 when their token is revoked or reissued, and frames that cannot hurt them."""

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.auth import passwords
from app.auth import service as auth_service
from app.auth.models import Role
from app.database import utcnow
from app.operators import service as operators_service
from tests.realtime.live import Client, _token


async def ticket(live, headers: dict) -> dict:
    response = await live.cf.http.post("/api/ws-ticket", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def closed_with(client: Client, timeout: float = 15.0) -> int:
    """The close code the server ended the socket with, within ``timeout`` — a bound against a
    hang, not a speed check: with the SQLite and PostgreSQL suites side by side on two cores, a
    PostgreSQL ticket check once took over 2 s before the 4401."""
    async with asyncio.timeout(timeout):
        try:
            while True:
                await client.connection.recv()
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else closed.code


async def test_a_ticket_opens_one_socket_once(live):
    olga = await live.cf.user("olga", Role.operator, extension="101")
    issued = await ticket(live, olga["headers"])
    assert issued["expires_at"] and issued["ticket"] != _token(olga["headers"])
    panel = await Client.open(f"{live.ws_base}/ws/operator?ticket={issued['ticket']}")
    assert (await panel.next("snapshot"))["operator"]["name"] == "olga"
    reused = await Client.open(f"{live.ws_base}/ws/operator?ticket={issued['ticket']}")
    assert await closed_with(reused) == 4401
    forged = await Client.open(f"{live.ws_base}/ws/operator?ticket=not-a-ticket")
    assert await closed_with(forged) == 4401
    await panel.close()


async def test_a_ticket_from_an_operator_does_not_open_the_supervisor_feed(live):
    olga = await live.cf.user("olga", Role.operator, extension="101")
    feed = await Client.open(f"{live.ws_base}/ws/supervisor?ticket={(await ticket(live, olga['headers']))['ticket']}")
    assert await closed_with(feed) == 4403


async def test_a_ticket_is_refused_once_its_token_is_revoked(live):
    olga = await live.cf.user("olga", Role.operator, extension="101")
    issued = await ticket(live, olga["headers"])
    await live.cf.db.run(lambda s: auth_service.revoke_token(session=s, name="olga", now=utcnow()))
    panel = await Client.open(f"{live.ws_base}/ws/operator?ticket={issued['ticket']}")
    assert await closed_with(panel) == 4401


@pytest.mark.parametrize("opened_with", ["ticket", "token"])
async def test_revoking_a_token_closes_its_panel_and_feed_within_two_seconds(live, opened_with):
    olga = await live.cf.user("olga", Role.operator, extension="101")
    sam = await live.cf.user("sam", Role.supervisor)

    async def credential(headers):
        if opened_with == "ticket":
            return f"ticket={(await ticket(live, headers))['ticket']}"
        return f"token={_token(headers)}"

    panel = await Client.open(f"{live.ws_base}/ws/operator?{await credential(olga['headers'])}")
    feed = await Client.open(f"{live.ws_base}/ws/supervisor?{await credential(sam['headers'])}")
    await panel.next("snapshot")
    await feed.next("snapshot")

    def revoke_and_reissue(session):
        auth_service.revoke_token(session=session, name="olga", now=utcnow())
        auth_service.reissue_token(session=session, name="sam")

    await live.cf.db.run(revoke_and_reissue)
    assert await closed_with(panel) == 4401
    assert await closed_with(feed) == 4401
    assert (await live.cf.http.get("/api/offers", headers=olga["headers"])).status_code == 401


async def test_a_token_reissued_over_rest_closes_the_operators_panel(live):
    olga = await live.cf.user("olga", Role.operator, extension="101")
    sam = await live.cf.user("sam", Role.supervisor)
    panel = await live.panel(olga["headers"])
    await panel.next("snapshot")
    other = await live.cf.user("petr", Role.operator, extension="102")
    other_panel = await live.panel(other["headers"])
    await other_panel.next("snapshot")

    response = await live.cf.http.post(f"/api/operators/{olga['id']}/token", headers=sam["headers"])
    assert response.status_code == 200

    assert await closed_with(panel) == 4401
    assert (await other_panel.request("ping"))["type"] == "pong"  # another operator's panel stays
    fresh = await Client.open(f"{live.ws_base}/ws/operator?token={response.json()['token']}")
    assert (await fresh.next("snapshot"))["operator"]["name"] == "olga"
    await fresh.close()
    await other_panel.close()


async def test_frames_that_once_dropped_the_socket_get_an_error_and_it_stays_open(live):
    olga = await live.cf.user("olga", Role.operator, extension="101")
    panel = await live.panel(olga["headers"])
    await panel.next("snapshot")
    deep = '{"type":"ping","v":1,"id":"d1","x":' + "[" * 5000 + "]" * 5000 + "}"
    await panel.connection.send(deep)
    answer = json.loads(await panel.connection.recv())
    assert (answer["type"], answer["code"]) == ("error", "invalid_frame") and "nested" in answer["reason"]
    huge = await panel.request("accept", offer_id=10**20)
    assert (huge["type"], huge["code"]) == ("error", "invalid_frame")
    nan = '{"type":"accept","v":1,"id":"n1","offer_id":NaN}'
    await panel.connection.send(nan)
    assert json.loads(await panel.connection.recv())["type"] == "error"
    assert (await panel.request("ping"))["type"] == "pong"
    await panel.close()


async def test_a_socket_without_credentials_is_refused(live):
    try:
        client = await Client.open(f"{live.ws_base}/ws/operator")
    except InvalidStatus:  # (a server may refuse the handshake itself)
        return
    assert await closed_with(client) == 4401


async def test_signing_out_closes_the_panel_that_sign_in_opened(live):
    """A console's panel stands on its sign-in, not on the user's API token."""
    await live.cf.user("sam", Role.supervisor)
    password_hash = await passwords.hashed("olga's password")
    await live.cf.db.run(
        lambda s: operators_service.create_user(
            session=s, name="olga", role=Role.operator, extension="101", password_hash=password_hash
        )
    )
    signed = await live.cf.http.post("/api/auth/login", json={"name": "olga", "password": "olga's password"})
    session = {"Authorization": f"Bearer {signed.json()['token']}"}
    panel = await Client.open(f"{live.ws_base}/ws/operator?ticket={(await ticket(live, session))['ticket']}")
    assert (await panel.next("snapshot"))["operator"]["name"] == "olga"
    assert (await live.cf.http.post("/api/auth/logout", headers=session)).status_code == 204
    assert await closed_with(panel) == 4401
