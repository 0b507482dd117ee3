"""quiz request keys: a save or submit of a quiz attempt is carried out once per idempotency key
(a phone resending what it queued offline, a double tap)

Revision ID: offlinedata_20261202
Revises: figperf_20261202
Create Date: 2026-12-02 06:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "offlinedata_20261202"
down_revision = "figperf_20261202"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "quiz_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action IN ('save', 'submit')", name=op.f("ck_quiz_request_action")),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["quiz_attempt.id"],
            name=op.f("fk_quiz_request_attempt_id_quiz_attempt"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_request")),
        sa.UniqueConstraint(
            "attempt_id", "action", "key", name=op.f("uq_quiz_request_attempt_id_action_key")
        ),
    )  # fmt: skip


def downgrade():
    from data_loss import refuse_to_drop_rows

    refuse_to_drop_rows("quiz_request")
    op.drop_table("quiz_request")
