"""Checking that a user named as an owner or assignee is an operator (owners are operators); who plays a team role."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.errors import NotFound, Unprocessable
from app.operators.models import Operator


def require_operator(*, session: Session, user_id: int, as_what: str) -> None:
    """404 when there is no such user, 422 when the user is not an operator."""
    row = session.execute(
        select(User.id, Operator.user_id).outerjoin(Operator, Operator.user_id == User.id).where(User.id == user_id)
    ).first()
    if row is None:
        raise NotFound(f"no user {user_id}")
    if row[1] is None:
        raise Unprocessable(f"user {user_id} is not an operator: {as_what} must be an operator")


def with_team_role(*, session: Session, role: str) -> list[int]:
    """Active operators who play ``role`` in active sales (collector, first_line, closer, account_manager)."""
    rows = session.execute(
        select(Operator.user_id, Operator.team_roles).join(User, User.id == Operator.user_id).where(User.active)
    ).all()
    return [user_id for user_id, roles in rows if role in roles]
