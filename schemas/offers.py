from datetime import datetime

from pydantic import BaseModel, ConfigDict


class OfferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    call_id: int
    operator_id: int
    extension: str | None
    rule: str
    status: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    end_reason: str | None
