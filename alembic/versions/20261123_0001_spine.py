"""spine: users, inbox, calls, contacts, callbacks

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_item")),
        sa.UniqueConstraint("vendor", "dedup_key", name=op.f("uq_inbox_item_vendor_dedup_key")),
    )
    with op.batch_alter_table("inbox_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbox_item_pending",
            ["id"],
            unique=False,
            postgresql_where=sa.text("handled_at IS NULL AND error IS NULL"),
            sqlite_where=sa.text("handled_at IS NULL AND error IS NULL"),
        )

    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=True),
        sa.Column("token_digest", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("extension", name=op.f("uq_user_extension")),
        sa.UniqueConstraint("name", name=op.f("uq_user_name")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_user_token_digest")),
    )
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("phone_raw", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name=op.f("fk_contact_owner_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
        sa.UniqueConstraint("phone", name=op.f("uq_contact_phone")),
    )
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "callback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone_raw", sa.String(length=128), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("missed_count", sa.Integer(), nullable=False),
        sa.Column("first_missed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_missed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=500), nullable=True),
        sa.Column("resolved_call_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assignee_id"], ["user.id"], name=op.f("fk_callback_assignee_id_user")),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_callback_contact_id_contact")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback")),
    )
    with op.batch_alter_table("callback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_callback_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index("ix_callback_status_due_at", ["status", "due_at"], unique=False)
        batch_op.create_index(
            "uq_callback_open_phone",
            ["phone"],
            unique=True,
            postgresql_where=sa.text("status IN ('open', 'in_progress')"),
            sqlite_where=sa.text("status IN ('open', 'in_progress')"),
        )

    op.create_table(
        "call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("end_code", sa.String(length=16), nullable=True),
        sa.Column("ended_in", sa.String(length=16), nullable=True),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("number_raw", sa.String(length=128), nullable=True),
        sa.Column("line_number", sa.String(length=128), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("operator_extension", sa.String(length=32), nullable=True),
        sa.Column("recording_id", sa.String(length=256), nullable=True),
        sa.Column("callback_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("final_direction", sa.String(length=16), nullable=True),
        sa.Column("final_answered", sa.Boolean(), nullable=True),
        sa.Column("final_received", sa.Boolean(), nullable=False),
        sa.Column("finalized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalized_by", sa.String(length=16), nullable=True),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["callback_id"], ["callback.id"], name=op.f("fk_call_callback_id_callback")),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_call_contact_id_contact")),
        sa.ForeignKeyConstraint(["operator_id"], ["user.id"], name=op.f("fk_call_operator_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call")),
        sa.UniqueConstraint("vendor", "external_id", name=op.f("uq_call_vendor_external_id")),
    )
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index("ix_call_number_started_at", ["number", "started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index("ix_call_outcome_last_event_at", ["outcome", "last_event_at"], unique=False)

    op.create_table(
        "callback_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_callback_action_actor_id_user")),
        sa.ForeignKeyConstraint(["callback_id"], ["callback.id"], name=op.f("fk_callback_action_callback_id_callback")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_action")),
    )
    with op.batch_alter_table("callback_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_action_callback_id"), ["callback_id"], unique=False)

    op.create_table(
        "call_leg",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("extension", sa.String(length=32), nullable=True),
        sa.Column("group_number", sa.String(length=32), nullable=True),
        sa.Column("client_number", sa.String(length=128), nullable=True),
        sa.Column("line_number", sa.String(length=128), nullable=True),
        sa.Column("command_id", sa.String(length=128), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("end_code", sa.String(length=16), nullable=True),
        sa.Column("appeared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name=op.f("fk_call_leg_call_id_call")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_leg")),
        sa.UniqueConstraint("call_id", "external_id", name=op.f("uq_call_leg_call_id_external_id")),
    )
    op.create_table(
        "call_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name=op.f("fk_call_transition_call_id_call")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_transition")),
    )
    with op.batch_alter_table("call_transition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_transition_call_id"), ["call_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_transition_call_id"))

    op.drop_table("call_transition")
    op.drop_table("call_leg")
    with op.batch_alter_table("callback_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_action_callback_id"))

    op.drop_table("callback_action")
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_index("ix_call_outcome_last_event_at")
        batch_op.drop_index(batch_op.f("ix_call_operator_id"))
        batch_op.drop_index("ix_call_number_started_at")
        batch_op.drop_index(batch_op.f("ix_call_contact_id"))

    op.drop_table("call")
    with op.batch_alter_table("callback", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_callback_open_phone",
            postgresql_where=sa.text("status IN ('open', 'in_progress')"),
            sqlite_where=sa.text("status IN ('open', 'in_progress')"),
        )
        batch_op.drop_index("ix_callback_status_due_at")
        batch_op.drop_index(batch_op.f("ix_callback_contact_id"))
        batch_op.drop_index(batch_op.f("ix_callback_assignee_id"))

    op.drop_table("callback")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_owner_id"))

    op.drop_table("contact")
    op.drop_table("user")
    with op.batch_alter_table("inbox_item", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_inbox_item_pending",
            postgresql_where=sa.text("handled_at IS NULL AND error IS NULL"),
            sqlite_where=sa.text("handled_at IS NULL AND error IS NULL"),
        )

    op.drop_table("inbox_item")
