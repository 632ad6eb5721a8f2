"""Operators as the API sees them: creating, listing, settings."""

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.auth.models import Role, User
from app.errors import Conflict, Forbidden, NotFound
from app.operators.models import Operator


def create_user(
    *,
    session: Session,
    name: str,
    role: Role,
    extension: str | None = None,
    skills: dict | None = None,
    team_roles: list[str] | None = None,
    password_hash: str | None = None,
    must_change_password: bool = False,
) -> tuple[User, str]:
    """A new user with a fresh token (returned once) and, if given, a password to sign in with; an
    operator starts ``offline`` with the skills given (``{"sales": 8}``)."""
    user, token = auth_service.create(
        session=session,
        name=name,
        role=role,
        extension=extension,
        password_hash=password_hash,
        must_change_password=must_change_password,
    )
    if role == Role.operator:
        session.add(Operator(user_id=user.id, skills=skills or {}, team_roles=sorted(set(team_roles or []))))
        session.flush()
    return user, token


def list_query() -> Select:
    return select(User, Operator).join(Operator, Operator.user_id == User.id).order_by(User.name)


def get(*, session: Session, operator_id: int) -> tuple[User, Operator]:
    row = (session.execute(list_query().where(User.id == operator_id))).first()
    if row is None:
        raise NotFound(f"no operator {operator_id}")
    return row[0], row[1]


def out(user: User, operator: Operator) -> dict:
    return {
        "id": user.id,
        "name": user.name,
        "extension": user.extension,
        "active": user.active,
        **operator.model_dump(exclude={"user_id"}, warnings=False),
    }


def update(
    *,
    session: Session,
    operator_id: int,
    extension: str | None = None,
    skills: dict | None = None,
    team_roles: list[str] | None = None,
    wrap_up_seconds: int | None = None,
) -> None:
    operator = session.get(Operator, operator_id)
    if operator is None:
        raise NotFound(f"no operator {operator_id}")
    if extension is not None:
        taken = session.execute(select(User.id).where(User.extension == extension, User.id != operator_id)).first()
        if taken:
            raise Conflict(f"extension {extension} already belongs to another user")
        session.get(User, operator_id).extension = extension
    if skills is not None:
        operator.skills = skills
    if team_roles is not None:
        operator.team_roles = sorted(set(team_roles))
    if wrap_up_seconds is not None:
        operator.wrap_up_seconds = wrap_up_seconds


def credited_collector(*, session: Session, user: User) -> int | None:
    """Who a contacts import is credited to: a collector themselves (None for supervisors: the
    file's ``collected_by`` says); 403 for other operators."""
    if user.role != Role.operator:
        return None
    operator = session.get(Operator, user.id)
    if operator is None or "collector" not in operator.team_roles:
        raise Forbidden("importing contacts is for supervisors and collectors")
    return user.id
