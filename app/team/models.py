"""Each person's monthly plan and each team role's pay rule.  Money is kept in whole kopecks
(integers, exact on both databases) and shown as decimal roubles."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.database import UTCDateTime


class MeetingCounted(StrEnum):
    booked = "booked"  # when the first-line manager books it
    held = "held"  # when the closer moves the deal past the meeting stage: fake bookings earn nothing


class Plan(SQLModel, table=True):
    """How much of their role's result a person should bring in a month: contacts confirmed
    (collector), meetings (first line), contracts (closer), deals won (account manager)."""

    __tablename__ = "team_plan"
    __table_args__ = (UniqueConstraint("operator_id", "month", "team_role"),)

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="user.id")
    month: str = Field(max_length=7, index=True)  # YYYY-MM
    team_role: str = Field(max_length=16)
    target: int = Field(ge=0)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PayRule(SQLModel, table=True):
    """What a team role is paid for its results in a month; every part may be zero."""

    __tablename__ = "pay_rule"

    team_role: str = Field(max_length=16, primary_key=True)
    fixed_kopecks: int = Field(default=0, ge=0)
    per_confirmed_contact_kopecks: int = Field(default=0, ge=0)
    per_meeting_kopecks: int = Field(default=0, ge=0)
    meeting_counted: MeetingCounted = Field(default=MeetingCounted.held, sa_type=String(8))
    # A share of the deals won in the month (closers: theirs as credited closer; account managers: those they own),
    # in hundredths of a per cent: 5 % is 500.
    share_of_won_basis_points: int = Field(default=0, ge=0, le=10_000)
    bonus_at_plan_kopecks: int = Field(default=0, ge=0)  # when the person's plan is met
    bonus_at_team_plan_kopecks: int = Field(default=0, ge=0)  # when the role's plans together are met
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: int | None = Field(default=None, foreign_key="user.id")
