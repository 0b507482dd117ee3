"""quiz choice secrets and extra attempts

Each quiz attempt gets a random secret that names the choices on its page (existing attempts get
one here; their responses keep file-order keys, so they grade as before), and instructors can grant
a learner one more attempt at a quiz (``quiz_grant``).

Downgrading drops both: the older schema has no place for the grants, and the secrets are only
needed by this version's pages.

Revision ID: quizids_20261201
Revises: c8586e49e05a
Create Date: 2026-12-01 22:30:00
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "quizids_20261201"
down_revision = "lead_20261201"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "quiz_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_slug", sa.String(length=80), nullable=False),
        sa.Column("module_slug", sa.String(length=80), nullable=False),
        sa.Column("after_attempts", sa.Integer(), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["user.id"],
            name=op.f("fk_quiz_grant_granted_by_user"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"],
            name=op.f("fk_quiz_grant_user_id_user"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_grant")),
        sa.UniqueConstraint(
            "user_id", "course_slug", "module_slug", "after_attempts",
            name=op.f("uq_quiz_grant_user_id_course_slug_module_slug_after_attempts"),
        ),
    )
    with op.batch_alter_table("quiz_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quiz_grant_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("choice_secret", sa.String(length=64), nullable=True))
    attempt = sa.table("quiz_attempt", sa.column("id", sa.Integer), sa.column("choice_secret"))
    conn = op.get_bind()
    for (attempt_id,) in conn.execute(sa.select(attempt.c.id)).all():
        conn.execute(
            attempt.update()
            .where(attempt.c.id == attempt_id)
            .values(choice_secret=secrets.token_hex(32))
        )
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.alter_column("choice_secret", existing_type=sa.String(length=64), nullable=False)


def downgrade():
    from data_loss import refuse_to_drop_rows, refuse_to_lose

    refuse_to_drop_rows("quiz_grant")
    refuse_to_lose(
        "quiz attempts' choice secrets (open attempts would show new answer ids)",
        "SELECT count(*) FROM quiz_attempt WHERE choice_secret IS NOT NULL",
    )
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.drop_column("choice_secret")
    with op.batch_alter_table("quiz_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quiz_grant_user_id"))
    op.drop_table("quiz_grant")
