"""a call's id in the vendor's other feed (UIS: cdr_id beside call_session_id)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joined_id", sa.String(length=128), nullable=True))
        batch_op.create_index("ix_call_vendor_joined_id", ["vendor", "joined_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_index("ix_call_vendor_joined_id")
        batch_op.drop_column("joined_id")
