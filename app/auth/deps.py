"""Bearer-token authentication and role checks for ``/api``."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service as auth_service
from app.auth.models import Role, User
from app.database import utcnow
from app.deps import DbDep

_bearer = HTTPBearer(auto_error=False, description="The token printed by `callfunnel user add`.")


# What an account whose password was set by someone else may do before choosing its own.
_BEFORE_A_NEW_PASSWORD = ("/api/auth/password", "/api/auth/logout")


async def current_user(
    request: Request,
    db: DbDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"}
    )
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise unauthorized
    token = credentials.credentials
    user = await db.read(lambda s: auth_service.authenticate(session=s, token=token, now=utcnow()))
    if user is None:
        raise unauthorized
    if user.must_change_password and request.url.path not in _BEFORE_A_NEW_PASSWORD:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "change your password first (POST /api/auth/password)")
    return user


def require_role(*roles: Role):
    async def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the role {' or '.join(roles)}")
        return user

    return check


BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]  # for a route that
# also takes another proof (a listening ticket) and calls ``current_user`` itself without it
CurrentUser = Annotated[User, Depends(current_user)]
CallCenterUser = Annotated[User, Depends(require_role(Role.admin, Role.supervisor, Role.operator))]
Supervisor = Annotated[User, Depends(require_role(Role.admin, Role.supervisor))]
Admin = Annotated[User, Depends(require_role(Role.admin))]
