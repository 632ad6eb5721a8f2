"""calls report: per-day rollups, each call's part in them, and triggers noting changed calls

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIGURES = (
    "offered answered missed abandoned queued quick ended waited from_queue gave_up unconfirmed identified "
    "fcr_eligible fcr_resolved repeated"
).split()

# What the calls report reads of a call and of its queue entry: a change to any of it is noted.
CALL_COLUMNS = "started_at, outcome, unconfirmed, queue_id, operator_id, number, direction"
ENTRY_COLUMNS = "status, wait_seconds, call_id"
TRIGGERS = (
    ("call_rollup_call_inserted", "INSERT", "call", "NEW.id"),
    ("call_rollup_call_updated", f"UPDATE OF {CALL_COLUMNS}", "call", "NEW.id"),
    ("call_rollup_entry_inserted", "INSERT", "queue_entry", "NEW.call_id"),
    ("call_rollup_entry_updated", f"UPDATE OF {ENTRY_COLUMNS}", "queue_entry", "NEW.call_id"),
)


def figure_columns() -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in FIGURES]


def upgrade() -> None:
    op.create_table(
        "call_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        *figure_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_rollup")),
        sa.UniqueConstraint("day", "queue_id", "operator_id", name=op.f("uq_call_rollup_day_queue_id_operator_id")),
    )
    op.create_table(
        "call_figures_part",
        sa.Column("call_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        *figure_columns(),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_call_figures_part")),
    )
    with op.batch_alter_table("call_figures_part", schema=None) as batch_op:
        batch_op.create_index("ix_call_figures_part_started_at", ["started_at"], unique=False)
    op.create_table(
        "call_rollup_pending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_rollup_pending")),
    )
    op.create_table(
        "rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("fcr_days", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_state")),
    )
    op.execute("INSERT INTO rollup_state (id) VALUES (1)")
    if op.get_bind().dialect.name == "postgresql":
        for table, call_id in (("call", "NEW.id"), ("queue_entry", "NEW.call_id")):
            op.execute(
                f"CREATE FUNCTION call_rollup_note_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN INSERT INTO call_rollup_pending (call_id) VALUES ({call_id}); RETURN NULL; END $$"
            )
        for name, when, table, _ in TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {when} ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION call_rollup_note_{table}()"
            )
    else:
        for name, when, table, call_id in TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {when} ON {table} FOR EACH ROW "
                f"BEGIN INSERT INTO call_rollup_pending (call_id) VALUES ({call_id}); END"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, _, table, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}" if postgresql else f"DROP TRIGGER {name}")
    if postgresql:
        op.execute("DROP FUNCTION call_rollup_note_call()")
        op.execute("DROP FUNCTION call_rollup_note_queue_entry()")
    op.drop_table("rollup_state")
    op.drop_table("call_rollup_pending")
    op.drop_table("call_figures_part")
    op.drop_table("call_rollup")
