from fastapi import APIRouter, Response, status

from app.auth import passwords
from app.auth import service as auth_service
from app.auth.deps import CallCenterUser, Supervisor
from app.auth.models import Role
from app.database import utcnow
from app.deps import DbDep
from app.dispatch import availability
from app.errors import Forbidden
from app.operators import service as operators_service
from app.operators.models import OperatorState
from schemas.common import Id
from schemas.operators import (
    OperatorCreate,
    OperatorCreated,
    OperatorOut,
    OperatorPatch,
    PasswordReset,
    StateChange,
)

router = APIRouter(prefix="/api/operators", tags=["operators"])


@router.get("", response_model=list[OperatorOut])
async def list_operators(db: DbDep, _user: CallCenterUser):
    """Every operator with their live state (the agent board)."""
    rows = await db.read(lambda s: s.execute(operators_service.list_query()).all())
    return [operators_service.out(user, operator) for user, operator in rows]


@router.post("", response_model=OperatorCreated, status_code=status.HTTP_201_CREATED)
async def create_operator(body: OperatorCreate, db: DbDep, _user: Supervisor):
    """Creates an operator (a user with role operator); the token is shown once.  With ``password``
    they can sign in (``POST /api/auth/login``) and choose their own at the first sign-in."""
    password_hash = await passwords.hashed(body.password) if body.password is not None else None

    def write(session):
        user, token = operators_service.create_user(
            session=session,
            name=body.name,
            role=Role.operator,
            extension=body.extension,
            skills=body.skills,
            team_roles=body.team_roles,
            password_hash=password_hash,
            must_change_password=password_hash is not None,
        )
        user, operator = operators_service.get(session=session, operator_id=user.id)
        operator.wrap_up_seconds = body.wrap_up_seconds
        return {**operators_service.out(user, operator), "token": token}

    return await db.run(write)


@router.get("/{operator_id:id}", response_model=OperatorOut)
async def get_operator(operator_id: Id, db: DbDep, _user: CallCenterUser):
    return await _fresh(db, operator_id)


@router.patch("/{operator_id:id}", response_model=OperatorOut)
async def update_operator(operator_id: Id, body: OperatorPatch, db: DbDep, _user: Supervisor):
    """Extension, skills, team roles and wrap-up time (supervisors); 409 for an extension another user has."""
    await db.run(
        lambda s: operators_service.update(
            session=s,
            operator_id=operator_id,
            extension=body.extension,
            skills=body.skills,
            team_roles=body.team_roles,
            wrap_up_seconds=body.wrap_up_seconds,
        )
    )
    return await _fresh(db, operator_id)


@router.post("/{operator_id:id}/token", response_model=OperatorCreated)
async def reissue_token(operator_id: Id, db: DbDep, _user: Supervisor):
    """A new token for an operator who lost theirs (shown once); the old one stops working at once."""

    def write(session):
        user, operator = operators_service.get(session=session, operator_id=operator_id)
        token = auth_service.reissue_token(session=session, name=user.name)
        return {**operators_service.out(user, operator), "token": token}

    return await db.run(write)


@router.post("/{operator_id:id}/password", status_code=status.HTTP_204_NO_CONTENT)
async def reset_password(operator_id: Id, body: PasswordReset, db: DbDep, _user: Supervisor) -> Response:
    """Supervisors: a new password for an operator who forgot theirs; their sign-ins end, and they
    choose their own at the next one."""
    password_hash = await passwords.hashed(body.password)

    def write(session):
        user, _ = operators_service.get(session=session, operator_id=operator_id)
        auth_service.set_password(
            session=session, user=user, password_hash=password_hash, must_change=True, now=utcnow()
        )

    await db.run(write)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{operator_id:id}", status_code=status.HTTP_204_NO_CONTENT)
async def deactivate_operator(operator_id: Id, db: DbDep, _user: Supervisor) -> Response:
    """Supervisors: the operator goes offline and can no longer sign in or use their token (409
    while on a call); their calls, deals and history stay."""

    def write(session):
        user, _ = operators_service.get(session=session, operator_id=operator_id)
        now = utcnow()
        availability.change_state(session=session, operator_id=operator_id, state=OperatorState.offline, now=now)
        auth_service.deactivate(session=session, user=user, now=now)

    await db.run(write)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/state", response_model=OperatorOut)
async def set_my_state(body: StateChange, db: DbDep, user: CallCenterUser):
    """The operator's own state: ``available`` (also ends wrap-up), ``break`` or ``offline``."""
    if user.role != Role.operator:
        raise Forbidden("only operators have a call-taking state")
    return await _set_state(user.id, body, db)


@router.post("/{operator_id:id}/state", response_model=OperatorOut)
async def set_state(operator_id: Id, body: StateChange, db: DbDep, _user: Supervisor):
    """A supervisor sets an operator's state."""
    return await _set_state(operator_id, body, db)


async def _set_state(operator_id: int, body: StateChange, db) -> dict:
    state = OperatorState(body.state)
    await db.run(lambda s: availability.change_state(session=s, operator_id=operator_id, state=state, now=utcnow()))
    return await _fresh(db, operator_id)


async def _fresh(db, operator_id: int) -> dict:
    """The operator as they are now (after the request's write committed)."""
    return await db.read(lambda s: operators_service.out(*operators_service.get(session=s, operator_id=operator_id)))
