from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.deps import Admin, CallCenterUser
from app.crm import deals, pipelines, refusal_reasons
from app.crm.models import DealStatus
from app.crm.takeover import Takeover
from app.database import utcnow
from app.deps import DbDep, SettingsDep
from app.pagination import PageDep, paginate
from schemas.common import Id, Page
from schemas.crm import (
    DealIn,
    DealOut,
    Loss,
    PipelineIn,
    PipelineOut,
    RefusalReasonIn,
    RefusalReasonOut,
    StageMove,
    Win,
)

router = APIRouter(prefix="/api", tags=["funnel"])


@router.get("/pipelines", response_model=list[PipelineOut])
async def list_pipelines(db: DbDep, _user: CallCenterUser):
    """Every pipeline with its stages in funnel order and their target conversion rates."""

    return await db.read(lambda s: pipelines.listed(session=s))


@router.post("/pipelines", response_model=PipelineOut, status_code=status.HTTP_201_CREATED)
async def create_pipeline(body: PipelineIn, db: DbDep, _admin: Admin):
    """Admins: a pipeline with its stages (``target_rate``: % of the previous stage, the first: of the
    list); for active sales, which stage a booked meeting moves a deal to and the hand-off stage."""

    def write(session):
        pipeline = pipelines.create(
            session=session,
            name=body.name,
            stages=[(s.name, s.target_rate) for s in body.stages],
            meeting_stage=body.meeting_stage,
            handoff_stage=body.handoff_stage,
        )
        return pipelines.out(session=session, pipeline=pipeline)

    return await db.run(write)


@router.get("/refusal-reasons", response_model=list[RefusalReasonOut])
async def list_reasons(db: DbDep, _user: CallCenterUser):
    return await db.read(lambda s: refusal_reasons.listed(session=s))


@router.post("/refusal-reasons", response_model=RefusalReasonOut, status_code=status.HTTP_201_CREATED)
async def create_reason(body: RefusalReasonIn, db: DbDep, _admin: Admin):
    return await db.run(
        lambda s: RefusalReasonOut.model_validate(refusal_reasons.create(session=s, **body.model_dump()))
    )


@router.put("/refusal-reasons/{reason_id:id}", response_model=RefusalReasonOut)
async def update_reason(reason_id: Id, body: RefusalReasonIn, db: DbDep, _admin: Admin):
    """Admins: rename a reason or change its reopen delay (``null``: never reopens)."""
    return await db.run(
        lambda s: RefusalReasonOut.model_validate(
            refusal_reasons.update(session=s, reason_id=reason_id, **body.model_dump())
        )
    )


@router.get("/deals", response_model=Page[DealOut])
async def list_deals(
    db: DbDep,
    _user: CallCenterUser,
    page: PageDep,
    contact_id: Id | None = None,
    owner_id: Id | None = None,
    pipeline_id: Id | None = None,
    status_: Annotated[DealStatus | None, Query(alias="status", description="open, won or lost")] = None,
):
    query = deals.list_query(contact_id=contact_id, owner_id=owner_id, pipeline_id=pipeline_id, status=status_)
    return await db.read(lambda s: paginate(s, query, page))


@router.post("/deals", response_model=DealOut, status_code=status.HTTP_201_CREATED)
async def create_deal(body: DealIn, db: DbDep, settings: SettingsDep, user: CallCenterUser):
    """A deal on a contact. Managers start deals on their own or ownerless clients; another manager's
    client needs ``takeover: true`` (logged; 403 for operators under ``TAKEOVER_POLICY=supervisor``);
    409 otherwise."""
    takeover = Takeover(body.takeover, settings.takeover_policy)
    fields = body.model_dump(exclude={"takeover"})
    return await db.run(
        lambda s: DealOut.model_validate(deals.create(session=s, actor=user, now=utcnow(), takeover=takeover, **fields))
    )


@router.get("/deals/{deal_id:id}")
async def get_deal(deal_id: Id, db: DbDep, _user: CallCenterUser) -> dict:
    """A deal with every stage move (who, when)."""
    deal, moves = await db.read(lambda s: deals.with_moves(session=s, deal_id=deal_id))
    return {**DealOut.model_validate(deal).model_dump(), "moves": [m.model_dump() for m in moves]}


@router.post("/deals/{deal_id:id}/stage", response_model=DealOut)
async def move_deal(deal_id: Id, body: StageMove, db: DbDep, user: CallCenterUser):
    return await db.run(
        lambda s: DealOut.model_validate(
            deals.move(
                session=s, actor=user, deal_id=deal_id, stage_id=body.stage_id, now=utcnow(), closer_id=body.closer_id
            )
        )
    )


@router.post("/deals/{deal_id:id}/lose", response_model=DealOut)
async def lose_deal(deal_id: Id, body: Loss, db: DbDep, user: CallCenterUser):
    """Closes the deal as lost; the refusal reason is required."""
    return await db.run(
        lambda s: DealOut.model_validate(
            deals.lose(session=s, actor=user, deal_id=deal_id, reason_id=body.refusal_reason_id, now=utcnow())
        )
    )


@router.post("/deals/{deal_id:id}/win", response_model=DealOut)
async def win_deal(deal_id: Id, db: DbDep, user: CallCenterUser, body: Win | None = None):
    """Closes the deal as won, with the amount signed when it is given (the closer's share is of it)."""
    amount = body.amount if body else None
    return await db.run(
        lambda s: DealOut.model_validate(deals.win(session=s, actor=user, deal_id=deal_id, amount=amount, now=utcnow()))
    )
