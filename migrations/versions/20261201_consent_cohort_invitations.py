"""cohort invitations: an existing account joins another instructor's cohort only by accepting

Revision ID: consent_20261201
Revises: c8586e49e05a
Create Date: 2026-12-01 22:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "consent_20261201"
down_revision = "quizids_20261201"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cohort_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohort.id"],
            name=op.f("fk_cohort_invitation_cohort_id_cohort"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["user.id"],
            name=op.f("fk_cohort_invitation_invited_by_user"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_invitation")),
        sa.UniqueConstraint(
            "cohort_id", "email", name=op.f("uq_cohort_invitation_cohort_id_email")
        ),
    )  # fmt: skip
    with op.batch_alter_table("cohort_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cohort_invitation_email"), ["email"], unique=False)


def downgrade():
    # Pending invitations have no place in the older schema: nobody had accepted them, so
    # dropping them changes no membership, hours or certificate; still, they are data.
    from data_loss import refuse_to_drop_rows

    refuse_to_drop_rows("cohort_invitation")
    with op.batch_alter_table("cohort_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cohort_invitation_email"))
    op.drop_table("cohort_invitation")
