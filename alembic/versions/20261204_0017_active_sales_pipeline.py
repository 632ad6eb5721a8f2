"""pipelines: the stage a booked meeting moves a deal to, and the hand-off stage; the seeded
active-sales pipeline

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 02:51:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The cold-call chain (200 calls → 22 meetings → 18 sales): each stage's target is the share of
# the deals that reached the previous one (the first: of the contacts called).
ACTIVE_SALES = [
    ("reached", 60.0),
    ("meeting booked", 20.0),
    ("meeting held", 80.0),
    ("contract", 60.0),
    ("payment", 90.0),
]
MEETING, HANDOFF = "meeting booked", "contract"


def upgrade() -> None:
    with op.batch_alter_table("pipeline", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_stage_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("handoff_stage_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_pipeline_handoff_stage_id_stage"), "stage", ["handoff_stage_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_pipeline_meeting_stage_id_stage"), "stage", ["meeting_stage_id"], ["id"]
        )
    _seed_active_sales()


def _seed_active_sales() -> None:
    bind = op.get_bind()
    pipeline = sa.table(
        "pipeline",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("meeting_stage_id", sa.Integer),
        sa.column("handoff_stage_id", sa.Integer),
    )
    stage = sa.table(
        "stage",
        sa.column("id", sa.Integer),
        sa.column("pipeline_id", sa.Integer),
        sa.column("position", sa.Integer),
        sa.column("name", sa.String),
        sa.column("target_rate", sa.Float),
    )
    if bind.execute(sa.select(pipeline.c.id).where(pipeline.c.name == "active sales")).first():
        return
    pipeline_id = bind.execute(
        sa.insert(pipeline).values(name="active sales", created_at=datetime.now(UTC)).returning(pipeline.c.id)
    ).scalar_one()
    ids = {}
    for position, (name, target) in enumerate(ACTIVE_SALES, start=1):
        ids[name] = bind.execute(
            sa.insert(stage)
            .values(pipeline_id=pipeline_id, position=position, name=name, target_rate=target)
            .returning(stage.c.id)
        ).scalar_one()
    bind.execute(
        sa.update(pipeline)
        .where(pipeline.c.id == pipeline_id)
        .values(meeting_stage_id=ids[MEETING], handoff_stage_id=ids[HANDOFF])
    )


def downgrade() -> None:
    with op.batch_alter_table("pipeline", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_pipeline_meeting_stage_id_stage"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_pipeline_handoff_stage_id_stage"), type_="foreignkey")
        batch_op.drop_column("handoff_stage_id")
        batch_op.drop_column("meeting_stage_id")
