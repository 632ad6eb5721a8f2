"""operators' team roles; who collected a contact and when a first attempt reached them

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 02:58:28
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("collected_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_contact_collected_by_user"), "user", ["collected_by"], ["id"])

    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_roles", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.drop_column("team_roles")

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_contact_collected_by_user"), type_="foreignkey")
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("collected_by")
