from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from app.auth.deps import CallCenterUser
from app.database import utcnow
from app.deps import DbDep
from app.dispatch import offers as dispatch_offers
from app.dispatch.models import Offer, OfferStatus
from schemas.common import Id
from schemas.offers import OfferOut

router = APIRouter(prefix="/api/offers", tags=["offers"])


@router.get("", response_model=list[OfferOut])
async def my_offers(
    db: DbDep,
    user: CallCenterUser,
    status: Annotated[
        OfferStatus, Query(description="ringing, accepted, rejected, no_answer or revoked")
    ] = OfferStatus.ringing,
):
    """The calls offered to me (ringing now, by default), newest first."""
    query = select(Offer).where(Offer.operator_id == user.id, Offer.status == status).order_by(Offer.id.desc())
    return await db.read(lambda s: s.execute(query.limit(50)).scalars().all())


@router.post("/{offer_id:id}/accept", response_model=OfferOut)
async def accept_offer(offer_id: Id, db: DbDep, user: CallCenterUser):
    """Takes the call; 409 if another operator took it first, or the offer ended."""
    return await db.run(lambda s: _out(dispatch_offers.accept(session=s, offer_id=offer_id, user=user, now=utcnow())))


@router.post("/{offer_id:id}/reject", response_model=OfferOut)
async def reject_offer(offer_id: Id, db: DbDep, user: CallCenterUser):
    """Declines the call: it is offered to the next operator at once."""
    return await db.run(lambda s: _out(dispatch_offers.reject(session=s, offer_id=offer_id, user=user, now=utcnow())))


def _out(offer: Offer) -> OfferOut:
    return OfferOut.model_validate(offer)
