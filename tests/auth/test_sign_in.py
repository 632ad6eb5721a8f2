"""Signing in with a name and a password: sessions of their own beside the API token, a first
password chosen by its owner, throttled guessing, and every way a sign-in ends."""

import asyncio
import os
import stat
from datetime import timedelta

from sqlalchemy import select

from app.auth import service as auth_service
from app.auth.first_run import create_first_admin
from app.auth.models import Role, User
from app.database import Database, utcnow
from tests.support.app import running

PASSWORD, NEW = "first-pass-123", "my own secret 42"


async def operator_with_password(cf, supervisor) -> dict:
    created = await cf.http.post(
        "/api/operators",
        json={"name": "olga", "extension": "101", "password": PASSWORD},
        headers=supervisor["headers"],
    )
    assert created.status_code == 201, created.text
    return created.json()


async def sign_in(cf, name: str, password: str):
    return await cf.http.post("/api/auth/login", json={"name": name, "password": password})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_a_first_password_is_changed_before_anything_else(cf, supervisor):
    olga = await operator_with_password(cf, supervisor)
    signed = await sign_in(cf, "olga", PASSWORD)
    assert signed.status_code == 200
    body = signed.json()
    assert body["user"] == {"id": olga["id"], "name": "olga", "role": "operator", "must_change_password": True}
    session = bearer(body["token"])
    refused = await cf.http.get("/api/offers", headers=session)
    assert refused.status_code == 403 and "change your password" in refused.json()["detail"]
    wrong_old = await cf.http.post("/api/auth/password", json={"old": "guess", "new": NEW}, headers=session)
    assert wrong_old.status_code == 401
    too_short = await cf.http.post("/api/auth/password", json={"old": PASSWORD, "new": "short"}, headers=session)
    assert too_short.status_code == 422
    changed = await cf.http.post("/api/auth/password", json={"old": PASSWORD, "new": NEW}, headers=session)
    assert changed.status_code == 204
    assert (await cf.http.get("/api/offers", headers=session)).status_code == 401  # every sign-in ended
    again = await sign_in(cf, "olga", NEW)
    assert again.json()["user"]["must_change_password"] is False
    assert (await cf.http.get("/api/offers", headers=bearer(again.json()["token"]))).status_code == 200


async def test_signing_in_and_out_never_touches_the_api_token(cf, supervisor):
    olga = await operator_with_password(cf, supervisor)
    api = bearer(olga["token"])
    first_time = bearer((await sign_in(cf, "olga", PASSWORD)).json()["token"])
    await cf.http.post("/api/auth/password", json={"old": PASSWORD, "new": NEW}, headers=first_time)
    first, second = [(await sign_in(cf, "olga", NEW)).json()["token"] for _ in range(2)]  # two tabs
    assert (await cf.http.post("/api/auth/logout", headers=bearer(first))).status_code == 204
    assert (await cf.http.get("/api/offers", headers=bearer(first))).status_code == 401
    assert (await cf.http.get("/api/offers", headers=bearer(second))).status_code == 200
    assert (await cf.http.get("/api/offers", headers=api)).status_code == 200
    assert (await cf.http.post("/api/auth/logout", headers=api)).status_code == 409


async def test_wrong_passwords_and_unknown_names_get_the_same_401_then_429(cf, supervisor):
    await operator_with_password(cf, supervisor)
    nobody = await sign_in(cf, "nobody", PASSWORD)
    wrong = await sign_in(cf, "olga", "not the password")
    assert (nobody.status_code, nobody.json()) == (wrong.status_code, wrong.json()) == (401, wrong.json())
    for _ in range(4):
        assert (await sign_in(cf, "olga", "still wrong")).status_code == 401
    throttled = await sign_in(cf, "olga", PASSWORD)  # the right one, too late
    assert throttled.status_code == 429 and 1 <= int(throttled.headers["retry-after"]) <= 15 * 60
    assert (await sign_in(cf, "nobody", "x")).status_code == 401  # other names are not held up


async def test_a_reset_or_a_deactivation_ends_sign_ins_and_the_token_keeps_history(cf, supervisor):
    olga = await operator_with_password(cf, supervisor)
    session = bearer((await sign_in(cf, "olga", PASSWORD)).json()["token"])
    reset = await cf.http.post(
        f"/api/operators/{olga['id']}/password", json={"password": NEW}, headers=supervisor["headers"]
    )
    assert reset.status_code == 204
    assert (await cf.http.post("/api/auth/logout", headers=session)).status_code == 401
    assert (await sign_in(cf, "olga", NEW)).json()["user"]["must_change_password"] is True
    gone = await cf.http.delete(f"/api/operators/{olga['id']}", headers=supervisor["headers"])
    assert gone.status_code == 204
    assert (await sign_in(cf, "olga", NEW)).status_code == 401
    assert (await cf.http.get("/api/offers", headers=bearer(olga["token"]))).status_code == 401
    board = (await cf.http.get("/api/operators", headers=supervisor["headers"])).json()
    assert [(o["name"], o["active"], o["state"]) for o in board] == [("olga", False, "offline")]


async def test_an_expired_sign_in_stops_working(cf, supervisor):
    await operator_with_password(cf, supervisor)
    token = (await sign_in(cf, "olga", PASSWORD)).json()["token"]
    later = utcnow() + timedelta(hours=12, minutes=1)
    assert await cf.db.read(lambda s: auth_service.authenticate(session=s, token=token, now=later)) is None
    assert await cf.db.run(lambda s: auth_service.end_expired_sessions(session=s, now=later)) == 1


async def test_the_first_start_on_an_empty_database_creates_one_admin(settings, tmp_path):
    first_run = settings.model_copy(update={"admin_password_file": str(tmp_path / "admin-password.txt")})
    workers = [Database(settings.database_url) for _ in range(2)]
    try:  # two workers starting together: one creates the admin
        written = await asyncio.gather(*(create_first_admin(db, first_run) for db in workers))
    finally:
        for db in workers:
            await db.dispose()
    path = tmp_path / "admin-password.txt"
    assert sorted(written, key=str) == sorted([None, path], key=str)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    password = path.read_text().removesuffix("\n")
    path.unlink()
    async with running(first_run) as cf:  # a later start leaves it alone
        assert not path.exists()
        signed = await sign_in(cf, "admin", password)
        assert signed.status_code == 200 and signed.json()["user"]["must_change_password"] is True
        users = await cf.db.read(lambda s: s.execute(select(User.name, User.role)).all())
    assert users == [("admin", Role.admin)]
