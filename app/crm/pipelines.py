"""Pipelines and their ordered stages."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.crm.models import Pipeline, Stage
from app.errors import Conflict, NotFound, Unprocessable

DEFAULT_PIPELINE = "sales"  # seeded by the migration


def create(
    *,
    session: Session,
    name: str,
    stages: list[tuple[str, float]],
    meeting_stage: str | None = None,
    handoff_stage: str | None = None,
) -> Pipeline:
    """A pipeline; ``meeting_stage`` and ``handoff_stage`` name two of its stages (active sales)."""
    if session.execute(select(Pipeline.id).where(Pipeline.name == name)).first():
        raise Conflict(f"pipeline {name!r} already exists")
    names = [stage for stage, _ in stages]
    for named in (meeting_stage, handoff_stage):
        if named is not None and named not in names:
            raise Unprocessable(f"{named!r} is not one of the pipeline's stages")
    pipeline = Pipeline(name=name)
    session.add(pipeline)
    session.flush()
    made = [
        Stage(pipeline_id=pipeline.id, position=i, name=stage, target_rate=target)
        for i, (stage, target) in enumerate(stages, start=1)
    ]
    session.add_all(made)
    session.flush()
    by_name = {stage.name: stage.id for stage in made}
    pipeline.meeting_stage_id = by_name.get(meeting_stage)
    pipeline.handoff_stage_id = by_name.get(handoff_stage)
    return pipeline


def stages_of(*, session: Session, pipeline_id: int) -> list[Stage]:
    query = select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position)
    return list(session.execute(query).scalars())


def get(*, session: Session, pipeline_id: int | None) -> Pipeline:
    """The pipeline, or the default one for None; NotFound otherwise."""
    query = select(Pipeline).where(
        Pipeline.id == pipeline_id if pipeline_id is not None else Pipeline.name == DEFAULT_PIPELINE
    )
    pipeline = session.execute(query).scalar_one_or_none()
    if pipeline is None:
        raise NotFound(f"no pipeline {pipeline_id if pipeline_id is not None else DEFAULT_PIPELINE!r}")
    return pipeline


def out(*, session: Session, pipeline: Pipeline) -> dict:
    stages = stages_of(session=session, pipeline_id=pipeline.id)
    return {
        "id": pipeline.id,
        "name": pipeline.name,
        "stages": stages,
        "meeting_stage_id": pipeline.meeting_stage_id,
        "handoff_stage_id": pipeline.handoff_stage_id,
    }


def listed(*, session: Session) -> list[dict]:
    """Every pipeline with its stages, in the order they were made."""
    return [out(session=session, pipeline=p) for p in session.execute(select(Pipeline).order_by(Pipeline.id)).scalars()]
