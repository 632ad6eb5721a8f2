"""call lists: their members, contacts, attempts (dialled through the PBX), the one claim per
contact; PBX commands name the attempt they dial

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 02:13:36
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("countdown_seconds", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("retry_after_hours", sa.Float(), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pipeline_id"], ["pipeline.id"], name=op.f("fk_call_list_pipeline_id_pipeline")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_list")),
        sa.UniqueConstraint("name", name=op.f("uq_call_list_name")),
    )
    op.create_table(
        "call_list_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_result", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_call_list_contact_contact_id_contact")),
        sa.ForeignKeyConstraint(["list_id"], ["call_list.id"], name=op.f("fk_call_list_contact_list_id_call_list")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_list_contact")),
        sa.UniqueConstraint("list_id", "contact_id", name=op.f("uq_call_list_contact_list_id_contact_id")),
    )
    with op.batch_alter_table("call_list_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_list_contact_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index("ix_call_list_contact_due", ["list_id", "status", "due_at", "id"], unique=False)

    op.create_table(
        "call_list_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["list_id"], ["call_list.id"], name=op.f("fk_call_list_member_list_id_call_list")),
        sa.ForeignKeyConstraint(["operator_id"], ["user.id"], name=op.f("fk_call_list_member_operator_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_list_member")),
        sa.UniqueConstraint("list_id", "operator_id", name=op.f("uq_call_list_member_list_id_operator_id")),
    )
    with op.batch_alter_table("call_list_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_list_member_operator_id"), ["operator_id"], unique=False)

    op.create_table(
        "call_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("list_contact_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("note", sa.String(length=4000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dial_status", sa.String(length=12), nullable=True),
        sa.Column("command_id", sa.String(length=64), nullable=True),
        sa.Column("dialled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name=op.f("fk_call_attempt_call_id_call")),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_call_attempt_contact_id_contact")),
        sa.ForeignKeyConstraint(
            ["list_contact_id"],
            ["call_list_contact.id"],
            name=op.f("fk_call_attempt_list_contact_id_call_list_contact"),
        ),
        sa.ForeignKeyConstraint(["list_id"], ["call_list.id"], name=op.f("fk_call_attempt_list_id_call_list")),
        sa.ForeignKeyConstraint(["operator_id"], ["user.id"], name=op.f("fk_call_attempt_operator_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_attempt")),
    )
    with op.batch_alter_table("call_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_attempt_dial_status"), ["dial_status"], unique=False)
        batch_op.create_index("ix_call_attempt_operator_status", ["operator_id", "status"], unique=False)

    op.create_table(
        "contact_claim",
        sa.Column("contact_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["call_attempt.id"], name=op.f("fk_contact_claim_attempt_id_call_attempt")
        ),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_contact_claim_contact_id_contact")),
        sa.ForeignKeyConstraint(["operator_id"], ["user.id"], name=op.f("fk_contact_claim_operator_id_user")),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contact_claim")),
    )
    with op.batch_alter_table("pbx_command", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_pbx_command_attempt_id_call_attempt"), "call_attempt", ["attempt_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("pbx_command", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_pbx_command_attempt_id_call_attempt"), type_="foreignkey")
        batch_op.drop_column("attempt_id")

    op.drop_table("contact_claim")
    with op.batch_alter_table("call_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_call_attempt_operator_status")
        batch_op.drop_index(batch_op.f("ix_call_attempt_dial_status"))

    op.drop_table("call_attempt")
    with op.batch_alter_table("call_list_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_list_member_operator_id"))

    op.drop_table("call_list_member")
    with op.batch_alter_table("call_list_contact", schema=None) as batch_op:
        batch_op.drop_index("ix_call_list_contact_due")
        batch_op.drop_index(batch_op.f("ix_call_list_contact_contact_id"))

    op.drop_table("call_list_contact")
    op.drop_table("call_list")
