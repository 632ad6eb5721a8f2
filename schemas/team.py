from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.common import Id

TeamRole = Literal["collector", "first_line", "closer", "account_manager"]
Month = Annotated[str, Field(pattern=r"^20\d\d-(0[1-9]|1[0-2])$", examples=["2026-12"])]  # 2000–2099
# Exact roubles and kopecks, up to ten million (kept as whole kopecks in a 32-bit column).
Roubles = Annotated[Decimal, Field(ge=0, le=Decimal("10000000"), decimal_places=2)]


class PlanIn(BaseModel):
    operator_id: Id
    month: Month
    team_role: TeamRole
    target: int = Field(ge=0, le=1_000_000)  # contacts confirmed, meetings, contracts or deals won


class PlanOut(PlanIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    updated_at: datetime


class PayRuleIn(BaseModel):
    """Every part may be zero.  Money in roubles with kopecks as exact decimals ("3000.00")."""

    fixed: Roubles = Decimal(0)
    per_confirmed_contact: Roubles = Decimal(0)
    per_meeting: Roubles = Decimal(0)
    meeting_counted: Literal["booked", "held"] = "held"  # held: fake bookings earn nothing
    share_of_won_pct: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] = Decimal(0)
    bonus_at_plan: Roubles = Decimal(0)
    bonus_at_team_plan: Roubles = Decimal(0)


class PayRuleOut(PayRuleIn):
    team_role: TeamRole
    updated_at: datetime
    updated_by: int | None
