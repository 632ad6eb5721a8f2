"""Bearer-token authentication and role checks for ``/api``."""

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service as auth_service
from app.auth.models import Role, User
from app.deps import DbDep

_bearer = HTTPBearer(auto_error=False, description="The token printed by `callfunnel user add`.")


async def current_user(
    db: DbDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"}
    )
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise unauthorized
    token = credentials.credentials
    user = await db.read(lambda s: auth_service.authenticate(session=s, token=token))
    if user is None:
        raise unauthorized
    return user


def require_role(*roles: Role):
    async def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the role {' or '.join(roles)}")
        return user

    return check


CurrentUser = Annotated[User, Depends(current_user)]
CallCenterUser = Annotated[User, Depends(require_role(Role.admin, Role.supervisor, Role.operator))]
Supervisor = Annotated[User, Depends(require_role(Role.admin, Role.supervisor))]
Admin = Annotated[User, Depends(require_role(Role.admin))]
