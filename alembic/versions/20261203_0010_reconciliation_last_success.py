"""reconciliation: when each vendor's history was last read without error (for the staleness alert)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reconciliation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True))
    # A run that ended without an error was a success.
    op.execute("UPDATE reconciliation SET last_success_at = last_run_at WHERE last_error IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("reconciliation", schema=None) as batch_op:
        batch_op.drop_column("last_success_at")
