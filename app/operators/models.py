from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime, utcnow
from app.defaults import EMPTY_DICT, EMPTY_LIST


class OperatorState(StrEnum):
    offline = "offline"
    available = "available"
    ringing = "ringing"  # holds one offer
    on_call = "on_call"
    wrap_up = "wrap_up"  # after a call, until ``wrap_up_until`` or ``wrap_up_done``
    dialing = "dialing"  # the PBX is placing a call list's call for them: offered nothing meanwhile
    break_ = "break"


TEAM_ROLES = ("collector", "first_line", "closer", "account_manager")

# What an operator may set themselves (the rest follows calls and offers).
SELF_SET_STATES = (OperatorState.available, OperatorState.break_, OperatorState.offline)


class Operator(SQLModel, table=True):
    """The call-taking side of a user with role operator.

    ``state`` is the claim: an operator is offered a call only by a conditional UPDATE from
    ``available`` to ``ringing``, so no interleaving can offer them two calls at once.
    """

    __tablename__ = "operator"
    __table_args__ = (Index("ix_operator_state_wrap_up_until", "state", "wrap_up_until"),)

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    state: OperatorState = Field(default=OperatorState.offline, sa_type=String(16))
    state_since: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    skills: dict = Field(default_factory=EMPTY_DICT, sa_column=Column(JSON, nullable=False))  # {"sales": 8}
    # Their part in active sales (beside the access role): collector, first_line, closer, account_manager.
    team_roles: list = Field(default_factory=EMPTY_LIST, sa_column=Column(JSON, nullable=False, server_default="[]"))
    wrap_up_seconds: int = Field(default=30, ge=0)
    no_answer_count: int = 0  # offers let ring out in a row; reset by an answered offer
    offer_id: int | None = None  # the offer ringing now
    call_id: int | None = Field(default=None, index=True)  # the call ringing or talking now
    wrap_up_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    idle_since: datetime | None = Field(default=None, sa_type=UTCDateTime)  # end of the last call
    # The operator's last panel closed (or its process died): no offers meanwhile, offline after the grace period.
    panel_lost_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
