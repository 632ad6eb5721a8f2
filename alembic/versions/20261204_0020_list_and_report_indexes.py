"""indexes for what grows with history: callbacks by due time and by creation, deals by last work, an offer's commands

The callbacks list in due order, the calls report's callbacks of a period and the deals list in
order of last work read every row without them (SQLite's plans: a scan and a sort per page); the
offers' retention looked for each old offer's PBX commands among all of them, and so did the
foreign-key check of each offer it deleted.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 15:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_callback_due_at_id", "callback", ["due_at", "id"]),
    ("ix_callback_created_at", "callback", ["created_at"]),
    ("ix_deal_updated_at_id", "deal", ["updated_at", "id"]),
    ("ix_pbx_command_offer_id", "pbx_command", ["offer_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
