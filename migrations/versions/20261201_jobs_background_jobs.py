"""background jobs: a row per long task (bulk issuing, register, roster import, export)

Revision ID: jobs_20261201
Revises: consent_20261201
Create Date: 2026-12-01 23:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "jobs_20261201"
down_revision = "ob3_20261201"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=True),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("file_name", sa.String(length=120), nullable=True),
        sa.Column("file_type", sa.String(length=80), nullable=True),
        sa.Column("file_data", sa.LargeBinary(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_job_state")
        ),
        sa.CheckConstraint("done >= 0", name=op.f("ck_job_done")),
        sa.ForeignKeyConstraint(
            ["started_by"], ["user.id"], name=op.f("fk_job_started_by_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
        sa.UniqueConstraint("key", name=op.f("uq_job_key")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_started_by"), ["started_by"], unique=False)


def downgrade():
    # Jobs' results and prepared files have no place in the older schema.
    from data_loss import refuse_to_drop_rows

    refuse_to_drop_rows("job")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_started_by"))
    op.drop_table("job")
