"""team plans and pay rules; deals' closer; each stage move's owner

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 04:43:11
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pay_rule",
        sa.Column("team_role", sa.String(length=16), nullable=False),
        sa.Column("fixed_kopecks", sa.Integer(), nullable=False),
        sa.Column("per_confirmed_contact_kopecks", sa.Integer(), nullable=False),
        sa.Column("per_meeting_kopecks", sa.Integer(), nullable=False),
        sa.Column("meeting_counted", sa.String(length=8), nullable=False),
        sa.Column("share_of_won_basis_points", sa.Integer(), nullable=False),
        sa.Column("bonus_at_plan_kopecks", sa.Integer(), nullable=False),
        sa.Column("bonus_at_team_plan_kopecks", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by"], ["user.id"], name=op.f("fk_pay_rule_updated_by_user")),
        sa.PrimaryKeyConstraint("team_role", name=op.f("pk_pay_rule")),
    )
    op.create_table(
        "team_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("team_role", sa.String(length=16), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["user.id"], name=op.f("fk_team_plan_operator_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_plan")),
        sa.UniqueConstraint("operator_id", "month", "team_role", name=op.f("uq_team_plan_operator_id_month_team_role")),
    )
    with op.batch_alter_table("team_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_plan_month"), ["month"], unique=False)

    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closer_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_deal_closer_id"), ["closer_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_deal_closer_id_user"), "user", ["closer_id"], ["id"])

    with op.batch_alter_table("deal_stage_move", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_deal_stage_move_owner_id_user"), "user", ["owner_id"], ["id"])
    # Before hand-offs a deal had one owner all along: its moves were all made while its owner held it.
    op.execute(
        "UPDATE deal_stage_move SET owner_id = (SELECT owner_id FROM deal WHERE deal.id = deal_stage_move.deal_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("deal_stage_move", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_deal_stage_move_owner_id_user"), type_="foreignkey")
        batch_op.drop_column("owner_id")

    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_deal_closer_id_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_deal_closer_id"))
        batch_op.drop_column("closer_id")

    with op.batch_alter_table("team_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_plan_month"))

    op.drop_table("team_plan")
    op.drop_table("pay_rule")
