"""Reading calls back for the API."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calls.models import Call, CallLeg, CallTransition


async def get(*, session: AsyncSession, call_id: int) -> Call | None:
    """The call with this id."""
    return await session.get(Call, call_id)


async def timeline(*, session: AsyncSession, call_id: int) -> list[CallTransition]:
    """The call's transitions, oldest first."""
    query = (
        select(CallTransition).where(CallTransition.call_id == call_id).order_by(CallTransition.at, CallTransition.id)
    )
    return list((await session.execute(query)).scalars())


async def legs_of(*, session: AsyncSession, call_id: int) -> list[CallLeg]:
    """The call's legs in the order they appeared."""
    query = select(CallLeg).where(CallLeg.call_id == call_id).order_by(CallLeg.appeared_at, CallLeg.id)
    return list((await session.execute(query)).scalars())
