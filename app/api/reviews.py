"""Scoring calls: the scorecard (admins edit it), reviews with notes pinned to moments of the
recording (supervisors write them; an operator reads the reviews of their own calls), and the
reviews report."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status

from app.auth.deps import Admin, CallCenterUser, Supervisor
from app.auth.models import Role
from app.database import utcnow
from app.deps import DbDep
from app.errors import Forbidden
from app.recordings import reviews
from app.reports.period import period, wants_csv
from app.spreadsheet import CSV_RESPONSE, csv_response
from schemas.common import Id, Moment
from schemas.recordings import ReviewIn, ReviewOut, ScorecardIn, ScorecardOut

router = APIRouter(prefix="/api", tags=["reviews"])


def _scorecard_out(scorecard, items) -> ScorecardOut:
    return ScorecardOut.model_validate(
        {"id": scorecard.id, "created_at": scorecard.created_at, "items": items}, from_attributes=True
    )


@router.get("/scorecards", response_model=ScorecardOut)
async def get_scorecard(db: DbDep, _user: CallCenterUser):
    """The current scorecard: its items in order, with their weights."""
    return await db.read(lambda s: _scorecard_out(*reviews.current_scorecard(session=s)))


@router.put("/scorecards", response_model=ScorecardOut)
async def put_scorecard(body: ScorecardIn, db: DbDep, user: Admin):
    """Replaces the scorecard's items (a new version: reviews already made keep theirs)."""
    items = [(item.name, item.weight) for item in body.items]
    return await db.run(
        lambda s: _scorecard_out(*reviews.replace_scorecard(session=s, items=items, by=user.id, now=utcnow()))
    )


@router.post("/reviews", response_model=ReviewOut, status_code=status.HTTP_201_CREATED)
async def add_review(body: ReviewIn, db: DbDep, user: Supervisor):
    """Scores a call: one answer per item of the current scorecard (``yes``, ``partly``, ``no``, ``na``)."""

    def write(session) -> dict:
        review = reviews.record(
            session=session,
            call_id=body.call_id,
            scorecard_id=body.scorecard_id,
            answers=list(body.answers),
            comment=body.comment,
            notes=[note.model_dump() for note in body.notes],
            reviewer=user,
            now=utcnow(),
        )
        return reviews.one(session=session, review_id=review.id)

    return await db.run(write)


@router.get("/reviews", response_model=list[ReviewOut])
async def list_reviews(db: DbDep, user: CallCenterUser, call_id: Id | None = None, operator_id: Id | None = None):
    """Reviews, newest first; an operator sees those of their own calls."""
    if user.role == Role.operator:
        if operator_id not in (None, user.id):
            raise Forbidden("operators see the reviews of their own calls")
        operator_id = user.id
    return await db.read(lambda s: reviews.listed(session=s, call_id=call_id, operator_id=operator_id))


@router.get("/reviews/{review_id:id}", response_model=ReviewOut)
async def get_review(review_id: Id, db: DbDep, user: CallCenterUser):
    review = await db.read(lambda s: reviews.one(session=s, review_id=review_id))
    if user.role == Role.operator and review["operator_id"] != user.id:
        raise Forbidden("operators see the reviews of their own calls")
    return review


@router.get("/reports/reviews", responses=CSV_RESPONSE)
async def reviews_report(
    request: Request,
    db: DbDep,
    _user: Supervisor,
    by: Literal["manager", "stage"] = "manager",
    since: Moment | None = None,
    until: Moment | None = None,
    format_: Annotated[Literal["json", "csv"] | None, Query(alias="format")] = None,
):
    """Reviews made in the period (default: the last 7 days) per manager or per stage the call was
    working toward: how many, the average score and each item's. ``?format=csv`` or ``Accept: text/csv``."""
    since, until = period(since, until)
    result = await db.read(lambda s: reviews.report(session=s, by=by, since=since, until=until))
    if wants_csv(request, format_):
        return csv_response(reviews.csv_rows(result), "reviews.csv")
    return result
