from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

SkillName = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[\w-]+$")]
Skills = dict[SkillName, Annotated[int, Field(ge=0, le=10)]]


def skills_from_text(value: str) -> dict[str, int]:
    """``"sales:8,english:5"`` → ``{"sales": 8, "english": 5}``; ValueError with the reason otherwise."""
    skills: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, sep, level = part.partition(":")
        if not sep or not name.strip() or not level.strip().isdigit() or not 0 <= int(level) <= 10:
            raise ValueError(f"skill {part!r} is not name:level with a level from 0 to 10")
        skills[name.strip()] = int(level)
    return skills


# Their parts in active sales (several allowed): who builds the cold list, calls it, closes, keeps clients.
TeamRoles = Annotated[list[Literal["collector", "first_line", "closer", "account_manager"]], Field(max_length=4)]


class OperatorOut(BaseModel):
    id: int
    name: str
    extension: str | None
    active: bool = True  # false: deactivated (DELETE /api/operators/{id}); history kept
    state: str
    state_since: datetime
    skills: dict[str, int]
    team_roles: list[str] = []  # collector, first_line, closer, account_manager
    wrap_up_seconds: int
    no_answer_count: int
    call_id: int | None
    offer_id: int | None
    wrap_up_until: datetime | None


class OperatorCreate(BaseModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    extension: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    skills: Skills = {}
    team_roles: TeamRoles = []
    wrap_up_seconds: Annotated[int, Field(ge=0, le=3600)] = 30
    # The first password to sign in with (8-128 characters); changed by the operator at first sign-in.
    password: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None


class OperatorCreated(OperatorOut):
    token: str  # shown once


class OperatorPatch(BaseModel):
    extension: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    skills: Skills | None = None
    team_roles: TeamRoles | None = None
    wrap_up_seconds: Annotated[int, Field(ge=0, le=3600)] | None = None


class StateChange(BaseModel):
    state: Literal["available", "break", "offline"]


class PasswordReset(BaseModel):
    password: Annotated[str, StringConstraints(min_length=1, max_length=1000)]  # changed at next sign-in
