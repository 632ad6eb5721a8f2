"""recordings: several per call, tickets to listen, playbacks, calls marked as examples, reviews on a
scorecard (the method's default one)

The one ``call.recording_id`` each call kept (the vendor's id, or a generic PBX's URL) becomes
a recording row, and ``call.recording_id`` that row's opaque id; the timelines forget the
vendor's ids.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 01:24:08
"""

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_example",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=True),
        sa.Column("refusal_reason_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("marked_by", sa.Integer(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name=op.f("fk_call_example_call_id_call")),
        sa.ForeignKeyConstraint(["marked_by"], ["user.id"], name=op.f("fk_call_example_marked_by_user")),
        sa.ForeignKeyConstraint(
            ["refusal_reason_id"], ["refusal_reason.id"], name=op.f("fk_call_example_refusal_reason_id_refusal_reason")
        ),
        sa.ForeignKeyConstraint(["stage_id"], ["stage.id"], name=op.f("fk_call_example_stage_id_stage")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_example")),
        sa.UniqueConstraint("call_id", name=op.f("uq_call_example_call_id")),
    )
    with op.batch_alter_table("call_example", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_example_stage_id"), ["stage_id"], unique=False)

    op.create_table(
        "recording",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=256), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=True),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cached_bytes", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=64), nullable=True),
        sa.Column("last_access_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetching_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name=op.f("fk_recording_call_id_call")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording")),
        sa.UniqueConstraint("call_id", "external_id", name=op.f("uq_recording_call_id_external_id")),
    )
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.create_index("ix_recording_cached_last_access", ["cached_bytes", "last_access_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_recording_call_id"), ["call_id"], unique=False)

    op.create_table(
        "playback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recording_id"], ["recording.id"], name=op.f("fk_playback_recording_id_recording")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_playback_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playback")),
        sa.UniqueConstraint("recording_id", "user_id", "hour", name=op.f("uq_playback_recording_id_user_id_hour")),
    )
    with op.batch_alter_table("playback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_playback_hour"), ["hour"], unique=False)

    op.create_table(
        "recording_ticket",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"], ["recording.id"], name=op.f("fk_recording_ticket_recording_id_recording")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_recording_ticket_user_id_user")),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_recording_ticket")),
    )
    with op.batch_alter_table("recording_ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recording_ticket_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "scorecard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], name=op.f("fk_scorecard_created_by_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard")),
    )
    op.create_table(
        "scorecard_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scorecard_id"], ["scorecard.id"], name=op.f("fk_scorecard_item_scorecard_id_scorecard")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_item")),
        sa.UniqueConstraint("scorecard_id", "position", name=op.f("uq_scorecard_item_scorecard_id_position")),
    )
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("comment", sa.String(length=4000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], name=op.f("fk_review_call_id_call")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["user.id"], name=op.f("fk_review_reviewer_id_user")),
        sa.ForeignKeyConstraint(["scorecard_id"], ["scorecard.id"], name=op.f("fk_review_scorecard_id_scorecard")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_created_at"), ["created_at"], unique=False)

    op.create_table(
        "review_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"], name=op.f("fk_review_answer_review_id_review")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_answer")),
    )
    with op.batch_alter_table("review_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_answer_review_id"), ["review_id"], unique=False)

    op.create_table(
        "review_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=True),
        sa.Column("at_seconds", sa.Float(), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["recording_id"], ["recording.id"], name=op.f("fk_review_note_recording_id_recording")),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"], name=op.f("fk_review_note_review_id_review")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_note")),
    )
    with op.batch_alter_table("review_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_note_review_id"), ["review_id"], unique=False)
    _default_scorecard()
    _move_call_recordings()
    _forget_vendor_ids_in_timelines()


# The method's review form: what a sales call has to do, the talk weighing most.
DEFAULT_SCORECARD = [
    ("greeting and introduction", 1.0),
    ("needs discovered", 2.0),
    ("presentation fitted to the needs", 2.0),
    ("objections handled", 2.0),
    ("next step agreed", 2.0),
    ("refusal reason recorded", 1.0),
]


def _default_scorecard() -> None:
    bind = op.get_bind()
    scorecard = sa.table("scorecard", sa.column("id", sa.Integer), sa.column("created_at", sa.DateTime(timezone=True)))
    item = sa.table(
        "scorecard_item",
        sa.column("scorecard_id", sa.Integer),
        sa.column("position", sa.Integer),
        sa.column("name", sa.String),
        sa.column("weight", sa.Float),
    )
    scorecard_id = bind.execute(
        sa.insert(scorecard).values(created_at=datetime.now(UTC)).returning(scorecard.c.id)
    ).scalar_one()
    bind.execute(
        sa.insert(item),
        [
            {"scorecard_id": scorecard_id, "position": n, "name": name, "weight": weight}
            for n, (name, weight) in enumerate(DEFAULT_SCORECARD, start=1)
        ],
    )


def _move_call_recordings() -> None:
    bind = op.get_bind()
    call = sa.table(
        "call",
        sa.column("id", sa.Integer),
        sa.column("vendor", sa.String),
        sa.column("recording_id", sa.String),
        sa.column("started_at", sa.DateTime(timezone=True)),
    )
    recording = sa.table(
        "recording",
        sa.column("id", sa.Integer),
        sa.column("call_id", sa.Integer),
        sa.column("vendor", sa.String),
        sa.column("external_id", sa.String),
        sa.column("url", sa.String),
        sa.column("state", sa.String),
        sa.column("reported_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(
        sa.select(call.c.id, call.c.vendor, call.c.recording_id, call.c.started_at).where(
            call.c.recording_id.is_not(None)
        )
    ).all()
    for call_id, vendor, vendor_id, started_at in rows:
        is_url = vendor == "generic"  # the generic protocol's recording was its URL
        external_id = hashlib.sha256(vendor_id.encode()).hexdigest()[:32] if is_url else vendor_id
        new_id = bind.execute(
            sa.insert(recording)
            .values(
                call_id=call_id,
                vendor=vendor,
                external_id=external_id,
                url=vendor_id if is_url else None,
                state="playable",
                reported_at=started_at,
                updated_at=started_at,
            )
            .returning(recording.c.id)
        ).scalar_one()
        bind.execute(sa.update(call).where(call.c.id == call_id).values(recording_id=str(new_id)))


def _forget_vendor_ids_in_timelines() -> None:
    """The timeline's ``recording`` entries named the vendor's id (a generic PBX's: its URL)."""
    bind = op.get_bind()
    transition = sa.table(
        "call_transition", sa.column("id", sa.Integer), sa.column("kind", sa.String), sa.column("detail", sa.JSON)
    )
    for row_id, detail in bind.execute(
        sa.select(transition.c.id, transition.c.detail).where(transition.c.kind == "recording")
    ).all():
        kept = {key: value for key, value in (detail or {}).items() if key != "recording_id"}
        bind.execute(sa.update(transition).where(transition.c.id == row_id).values(detail=kept))


def downgrade() -> None:
    with op.batch_alter_table("review_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_note_review_id"))

    op.drop_table("review_note")
    with op.batch_alter_table("review_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_answer_review_id"))

    op.drop_table("review_answer")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_created_at"))
        batch_op.drop_index(batch_op.f("ix_review_call_id"))

    op.drop_table("review")
    op.drop_table("scorecard_item")
    op.drop_table("scorecard")
    with op.batch_alter_table("recording_ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recording_ticket_expires_at"))

    op.drop_table("recording_ticket")
    with op.batch_alter_table("playback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_playback_hour"))

    op.drop_table("playback")
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recording_call_id"))
        batch_op.drop_index("ix_recording_cached_last_access")

    op.drop_table("recording")
    with op.batch_alter_table("call_example", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_example_stage_id"))

    op.drop_table("call_example")
