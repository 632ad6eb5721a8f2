"""routing: operators, queues, offers, pbx commands

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 22:59:45.118330
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("strategy", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("skill", sa.String(length=50), nullable=True),
        sa.Column("min_level", sa.Integer(), nullable=False),
        sa.Column("escalate_after_seconds", sa.Integer(), nullable=True),
        sa.Column("escalated_min_level", sa.Integer(), nullable=False),
        sa.Column("ring_timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("max_wait_seconds", sa.Integer(), nullable=False),
        sa.Column("max_no_answers", sa.Integer(), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("sticky", sa.Boolean(), nullable=False),
        sa.Column("sticky_timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("sticky_days", sa.Integer(), nullable=False),
        sa.Column("pbx_group", sa.String(length=64), nullable=True),
        sa.Column("last_offered_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue")),
        sa.UniqueConstraint("name", name=op.f("uq_queue_name")),
    )
    op.create_table(
        "rate_budget",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("next_free_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_budget")),
    )
    op.create_table(
        "operator",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("wrap_up_seconds", sa.Integer(), nullable=False),
        sa.Column("no_answer_count", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("wrap_up_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idle_since", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_operator_user_id_user")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_operator")),
    )
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operator_call_id"), ["call_id"], unique=False)
        batch_op.create_index("ix_operator_state_wrap_up_until", ["state", "wrap_up_until"], unique=False)

    op.create_table(
        "queue_member",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operator.user_id"], name=op.f("fk_queue_member_operator_id_operator"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queue.id"], name=op.f("fk_queue_member_queue_id_queue"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("queue_id", "operator_id", name=op.f("pk_queue_member")),
    )
    op.create_table(
        "queue_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sticky_operator_id", sa.Integer(), nullable=True),
        sa.Column("sticky_rule", sa.String(length=16), nullable=True),
        sa.Column("sticky_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handed_to_pbx", sa.Boolean(), nullable=False),
        sa.Column("tried", sa.JSON(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=20), nullable=True),
        sa.Column("exit_reason", sa.String(length=40), nullable=True),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name=op.f("fk_queue_entry_call_id_call")),
        sa.ForeignKeyConstraint(["operator_id"], ["user.id"], name=op.f("fk_queue_entry_operator_id_user")),
        sa.ForeignKeyConstraint(["queue_id"], ["queue.id"], name=op.f("fk_queue_entry_queue_id_queue")),
        sa.ForeignKeyConstraint(
            ["sticky_operator_id"], ["user.id"], name=op.f("fk_queue_entry_sticky_operator_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_entry")),
        sa.UniqueConstraint("call_id", name=op.f("uq_queue_entry_call_id")),
    )
    with op.batch_alter_table("queue_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_queue_entry_queue_id"), ["queue_id"], unique=False)
        batch_op.create_index(
            "ix_queue_entry_status_priority_entered_at", ["status", "priority", "entered_at"], unique=False
        )

    op.create_table(
        "offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=True),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("leg_key", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name=op.f("fk_offer_call_id_call")),
        sa.ForeignKeyConstraint(["entry_id"], ["queue_entry.id"], name=op.f("fk_offer_entry_id_queue_entry")),
        sa.ForeignKeyConstraint(["operator_id"], ["user.id"], name=op.f("fk_offer_operator_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer")),
    )
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offer_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index("ix_offer_status_expires_at", ["status", "expires_at"], unique=False)
        batch_op.create_index(
            "uq_offer_ringing_operator",
            ["operator_id"],
            unique=True,
            postgresql_where=sa.text("status = 'ringing'"),
            sqlite_where=sa.text("status = 'ringing'"),
        )

    op.create_table(
        "pbx_command",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("command_id", sa.String(length=64), nullable=False),
        sa.Column("vendor", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("callback_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("to_number", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_pbx_command_actor_id_user")),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name=op.f("fk_pbx_command_call_id_call")),
        sa.ForeignKeyConstraint(["callback_id"], ["callback.id"], name=op.f("fk_pbx_command_callback_id_callback")),
        sa.ForeignKeyConstraint(["offer_id"], ["offer.id"], name=op.f("fk_pbx_command_offer_id_offer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pbx_command")),
        sa.UniqueConstraint("command_id", name=op.f("uq_pbx_command_command_id")),
    )
    with op.batch_alter_table("pbx_command", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pbx_command_call_id"), ["call_id"], unique=False)
        batch_op.create_index("ix_pbx_command_status_next_attempt_at", ["status", "next_attempt_at"], unique=False)

    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queue_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("route_rule", sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f("ix_call_queue_id"), ["queue_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_call_queue_id_queue"), "queue", ["queue_id"], ["id"])

    with op.batch_alter_table("call_leg", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatch_step", sa.String(length=16), nullable=True))

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vip", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("inbox_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox_item", schema=None) as batch_op:
        batch_op.drop_column("reply")

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("vip")

    with op.batch_alter_table("call_leg", schema=None) as batch_op:
        batch_op.drop_column("dispatch_step")

    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_call_queue_id_queue"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_call_queue_id"))
        batch_op.drop_column("route_rule")
        batch_op.drop_column("queue_id")

    with op.batch_alter_table("pbx_command", schema=None) as batch_op:
        batch_op.drop_index("ix_pbx_command_status_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_pbx_command_call_id"))

    op.drop_table("pbx_command")
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_offer_ringing_operator",
            postgresql_where=sa.text("status = 'ringing'"),
            sqlite_where=sa.text("status = 'ringing'"),
        )
        batch_op.drop_index("ix_offer_status_expires_at")
        batch_op.drop_index(batch_op.f("ix_offer_entry_id"))
        batch_op.drop_index(batch_op.f("ix_offer_call_id"))

    op.drop_table("offer")
    with op.batch_alter_table("queue_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_entry_status_priority_entered_at")
        batch_op.drop_index(batch_op.f("ix_queue_entry_queue_id"))

    op.drop_table("queue_entry")
    op.drop_table("queue_member")
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.drop_index("ix_operator_state_wrap_up_until")
        batch_op.drop_index(batch_op.f("ix_operator_call_id"))

    op.drop_table("operator")
    op.drop_table("rate_budget")
    op.drop_table("queue")
