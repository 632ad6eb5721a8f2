"""Reviews: a supervisor scores a call on the scorecard, item by item — yes (1), partly (0.5), no (0)
or n/a (left out) — and the score is the weighted share of the applicable items, in %.

Editing the scorecard makes a new version; a review copies its items' names and weights, so it
reads the same after any later edit.  Notes are pinned to moments of the call's recording.
"""

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.calls.models import Call
from app.crm.models import Stage
from app.errors import Conflict, NotFound, Unprocessable
from app.recordings import examples
from app.recordings.models import Recording, Review, ReviewAnswer, ReviewNote, Scorecard, ScorecardItem

VALUES = {"yes": 1.0, "partly": 0.5, "no": 0.0, "na": None}
ON_THE_LIST = "on the list"  # a deal with no stage reached yet
NO_DEAL = "no deal"


def current_scorecard(*, session: Session) -> tuple[Scorecard, list[ScorecardItem]]:
    scorecard = session.execute(select(Scorecard).order_by(Scorecard.id.desc()).limit(1)).scalar_one()
    return scorecard, _items(session, scorecard.id)


def _items(session: Session, scorecard_id: int) -> list[ScorecardItem]:
    query = select(ScorecardItem).where(ScorecardItem.scorecard_id == scorecard_id).order_by(ScorecardItem.position)
    return list(session.execute(query).scalars())


def replace_scorecard(
    *, session: Session, items: list[tuple[str, float]], by: int, now: datetime
) -> tuple[Scorecard, list[ScorecardItem]]:
    names = [name.strip() for name, _ in items]
    if len(set(names)) != len(names):
        raise Unprocessable("two items have the same name")
    scorecard = Scorecard(created_at=now, created_by=by)
    session.add(scorecard)
    session.flush()
    for position, (name, weight) in enumerate(items, start=1):
        session.add(ScorecardItem(scorecard_id=scorecard.id, position=position, name=name.strip(), weight=weight))
    session.flush()
    return scorecard, _items(session, scorecard.id)


def score(answers: list[tuple[float, str]]) -> float | None:
    """(weight, answer) per item: the weighted share of the applicable ones, in %; None if none applies."""
    applicable = [(weight, VALUES[answer]) for weight, answer in answers if VALUES[answer] is not None]
    total = sum(weight for weight, _ in applicable)
    return round(100 * sum(weight * value for weight, value in applicable) / total, 1) if total else None


def record(
    *,
    session: Session,
    call_id: int,
    scorecard_id: int,
    answers: list[str],
    comment: str,
    notes: list[dict],
    reviewer: User,
    now: datetime,
) -> Review:
    if session.get(Call, call_id) is None:
        raise NotFound(f"call {call_id} does not exist")
    scorecard, items = current_scorecard(session=session)
    if scorecard_id != scorecard.id:
        raise Conflict(f"the scorecard changed (now {scorecard.id}): score the call on the current one")
    if len(answers) != len(items):
        raise Unprocessable(f"the scorecard has {len(items)} items: answer each (yes, partly, no or na)")
    recordings = set(session.execute(select(Recording.id).where(Recording.call_id == call_id)).scalars())
    for note in notes:
        if note.get("recording_id") is not None and note["recording_id"] not in recordings:
            raise Unprocessable(f"recording {note['recording_id']} is not this call's")
    review = Review(
        call_id=call_id,
        reviewer_id=reviewer.id,
        scorecard_id=scorecard.id,
        score=score([(item.weight, answer) for item, answer in zip(items, answers, strict=True)]),
        comment=comment,
        created_at=now,
    )
    session.add(review)
    session.flush()
    for item, answer in zip(items, answers, strict=True):
        session.add(
            ReviewAnswer(review_id=review.id, position=item.position, name=item.name, weight=item.weight, answer=answer)
        )
    for note in sorted(notes, key=lambda n: n["at_seconds"]):
        session.add(ReviewNote(review_id=review.id, **note))
    session.flush()
    return review


def listed(*, session: Session, call_id: int | None, operator_id: int | None) -> list[dict]:
    query = select(Review).join(Call, Call.id == Review.call_id)
    if call_id is not None:
        query = query.where(Review.call_id == call_id)
    if operator_id is not None:
        query = query.where(Call.operator_id == operator_id)
    reviews = list(session.execute(query.order_by(Review.created_at.desc(), Review.id.desc())).scalars())
    return _shaped(session, reviews)


def one(*, session: Session, review_id: int) -> dict:
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound(f"review {review_id} does not exist")
    return _shaped(session, [review])[0]


def _shaped(session: Session, reviews: list[Review]) -> list[dict]:
    ids = [review.id for review in reviews]
    answers, notes = defaultdict(list), defaultdict(list)
    for answer in session.execute(
        select(ReviewAnswer).where(ReviewAnswer.review_id.in_(ids)).order_by(ReviewAnswer.position)
    ).scalars():
        answers[answer.review_id].append(
            {"position": answer.position, "name": answer.name, "weight": answer.weight, "answer": answer.answer}
        )
    for note in session.execute(
        select(ReviewNote).where(ReviewNote.review_id.in_(ids)).order_by(ReviewNote.at_seconds, ReviewNote.id)
    ).scalars():
        notes[note.review_id].append(
            {"at_seconds": note.at_seconds, "text": note.text, "recording_id": note.recording_id}
        )
    operators = dict(
        session.execute(select(Call.id, Call.operator_id).where(Call.id.in_({r.call_id for r in reviews}))).all()
    )
    return [
        {
            "id": review.id,
            "call_id": review.call_id,
            "operator_id": operators.get(review.call_id),
            "reviewer_id": review.reviewer_id,
            "scorecard_id": review.scorecard_id,
            "score": review.score,
            "comment": review.comment,
            "created_at": review.created_at,
            "answers": answers[review.id],
            "notes": notes[review.id],
        }
        for review in reviews
    ]


def report(*, session: Session, by: str, since: datetime, until: datetime) -> dict:
    """Reviews made in the period, per manager (the call's operator) or per stage the call worked toward."""
    rows = session.execute(
        select(Review, Call)
        .join(Call, Call.id == Review.call_id)
        .where(Review.created_at >= since, Review.created_at < until)
        .order_by(Review.id)
    ).all()
    answers = defaultdict(list)
    for answer in session.execute(
        select(ReviewAnswer).where(ReviewAnswer.review_id.in_([review.id for review, _ in rows]))
    ).scalars():
        answers[answer.review_id].append(answer)
    groups: dict[tuple, list[Review]] = defaultdict(list)
    for review, call in rows:
        groups[_group(session, call, by)].append(review)
    result = []
    for (group_id, group_name), reviews in sorted(groups.items(), key=lambda pair: str(pair[0][1])):
        scores = [review.score for review in reviews if review.score is not None]
        by_item = defaultdict(list)
        for review in reviews:
            for answer in answers[review.id]:
                by_item[answer.name].append(answer.answer)
        result.append(
            {
                "id": group_id,
                "name": group_name,
                "reviews": len(reviews),
                "score": round(sum(scores) / len(scores), 1) if scores else None,
                "items": [
                    {"name": name, "score": score([(1.0, answer) for answer in given])}
                    for name, given in sorted(by_item.items())
                ],
            }
        )
    return {"by": by, "since": since, "until": until, "groups": result}


def _group(session: Session, call: Call, by: str) -> tuple[int | None, str | None]:
    if by == "manager":
        name = session.get(User, call.operator_id).name if call.operator_id else None
        return call.operator_id, name
    if call.deal_id is None:
        return None, NO_DEAL
    if call.deal_stage_id is None:
        return None, ON_THE_LIST
    stage_id = examples.working_toward(session=session, call=call)
    return stage_id, session.get(Stage, stage_id).name


def csv_rows(result: dict) -> list[list]:
    rows = [[result["by"], "item", "reviews", "score_pct"]]
    for group in result["groups"]:
        rows.append([group["name"], "", group["reviews"], group["score"]])
        rows += [[group["name"], item["name"], "", item["score"]] for item in group["items"]]
    return rows
