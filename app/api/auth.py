"""Signing in and out with a name and a password, and changing your own password."""

from datetime import datetime

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from app.auth import passwords, sign_in
from app.auth import service as auth_service
from app.auth.deps import CurrentUser
from app.auth.models import User
from app.database import utcnow
from app.deps import DbDep, SettingsDep
from app.errors import Conflict, Unauthorized

router = APIRouter(prefix="/api/auth", tags=["users"])


class LoginIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class SignedInUser(BaseModel):
    id: int
    name: str
    role: str
    must_change_password: bool  # true: only POST /api/auth/password (and logout) until it is changed


class LoginOut(BaseModel):
    token: str  # a bearer token of this sign-in only
    expires_at: datetime
    user: SignedInUser


class PasswordChange(BaseModel):
    old: str = Field(min_length=1, max_length=1000)
    new: str = Field(min_length=1, max_length=1000)


@router.post("/login", response_model=LoginOut)
async def login(body: LoginIn, db: DbDep, settings: SettingsDep) -> dict:
    """A session of its own (``SESSION_HOURS``); the user's API token is not touched.  401 for a
    wrong name or password (the same answer for both); 429 after five failures in 15 minutes."""
    now = utcnow()
    account = await db.read(lambda s: sign_in.account(session=s, name=body.name, now=now))
    if account.user_id is None or not await passwords.matches(account.password_hash, body.password):
        await db.run(lambda s: sign_in.failed(session=s, name=body.name, now=now))
        raise Unauthorized("wrong name or password")
    token, expires_at, user = await db.run(
        lambda s: sign_in.start(session=s, user_id=account.user_id, hours=settings.session_hours, now=utcnow())
    )
    return {"token": token, "expires_at": expires_at, "user": SignedInUser.model_validate(user, from_attributes=True)}


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, db: DbDep, user: CurrentUser) -> Response:
    """Ends this sign-in (its sockets close); 409 for an API token, which is not a sign-in."""
    digest = auth_service.token_digest(request.headers["authorization"].split(" ", 1)[1].strip())
    ended = await db.run(lambda s: auth_service.end_sessions(session=s, user_id=user.id, now=utcnow(), digest=digest))
    if not ended:
        raise Conflict("this is an API token, not a sign-in: revoke it with `callfunnel user revoke`")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(body: PasswordChange, db: DbDep, user: CurrentUser) -> Response:
    """Your own password, given the current one; every sign-in of yours ends (sign in again)."""
    if not await passwords.matches(user.password_hash, body.old):
        raise Unauthorized("the current password is wrong")
    new_hash = await passwords.hashed(body.new)
    await db.run(
        lambda s: auth_service.set_password(
            session=s, user=s.get(User, user.id), password_hash=new_hash, must_change=False, now=utcnow()
        )
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
