"""programme figures: the programme manager role (with an optional province or organisation),
optional sex, age band and role of work, pre-test and post-test, course evaluations, and the
indexes the figures page needs

Revision ID: figures_20261202
Revises: i18n_20261202
Create Date: 2026-12-02 02:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "figures_20261202"
down_revision = "i18n_20261202"
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('learner', 'instructor', 'admin')"
NEW_ROLES = "role IN ('learner', 'instructor', 'programme_manager', 'admin')"
SEXES = "sex IN ('female', 'male', 'another', 'unstated')"
AGE_BANDS = "age_band IN ('under-25', '25-34', '35-44', '45-54', '55-plus')"
WORK_ROLES = (
    "work_role IN ('child-protection-officer', 'social-worker', 'police', 'teacher', "
    "'residential-care', 'ngo-worker', 'other')"
)
PROVINCES = (
    "scope_province IN ('Punjab', 'Sindh', 'Khyber Pakhtunkhwa', 'Balochistan', "
    "'Islamabad Capital Territory', 'Gilgit-Baltistan', 'Azad Jammu and Kashmir')"
)
NEW_COLUMNS = ("sex", "age_band", "work_role", "demographics_asked_at", "scope_province",
               "scope_organisation")  # fmt: skip


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sex", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("age_band", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("work_role", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("demographics_asked_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("scope_province", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("scope_organisation", sa.String(length=160), nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_user_role"), type_="check")
        batch_op.alter_column("role", existing_type=sa.String(length=16),
                              type_=sa.String(length=32), existing_nullable=False)
        batch_op.create_check_constraint("role", NEW_ROLES)
        batch_op.create_check_constraint("sex", SEXES)
        batch_op.create_check_constraint("age_band", AGE_BANDS)
        batch_op.create_check_constraint("work_role", WORK_ROLES)
        batch_op.create_check_constraint("scope_province", PROVINCES)
        batch_op.create_index("ix_user_province_district", ["province", "district"], unique=False)

    op.create_table(
        "knowledge_test",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_slug", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("choice_secret", sa.String(length=64), nullable=False),
        sa.Column("question_ids", sa.JSON(), nullable=False),
        sa.Column("content_version", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responses", sa.JSON(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('pre', 'post')", name=op.f("ck_knowledge_test_kind")),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 0 AND score <= 100)",
            name=op.f("ck_knowledge_test_score_range"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_knowledge_test_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_test")),
        sa.UniqueConstraint(
            "user_id", "course_slug", "kind", name=op.f("uq_knowledge_test_user_id_course_slug_kind")
        ),
    )  # fmt: skip
    op.create_table(
        "course_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_slug", sa.String(length=80), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=False),
        sa.Column("usefulness", sa.Integer(), nullable=False),
        sa.Column("confidence_before", sa.Integer(), nullable=False),
        sa.Column("confidence_after", sa.Integer(), nullable=False),
        sa.Column("improve", sa.Text(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        *(
            sa.CheckConstraint(
                f"{name} >= 1 AND {name} <= 5", name=op.f(f"ck_course_evaluation_{name}")
            )
            for name in ("satisfaction", "usefulness", "confidence_before", "confidence_after")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_course_evaluation_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_evaluation")),
        sa.UniqueConstraint(
            "user_id", "course_slug", name=op.f("uq_course_evaluation_user_id_course_slug")
        ),
    )  # fmt: skip


def downgrade():
    from data_loss import refuse_to_drop_rows, refuse_to_lose

    refuse_to_drop_rows("knowledge_test", "course_evaluation")
    refuse_to_lose(
        "programme managers' roles (the older schema has no such role)",
        "SELECT count(*) FROM \"user\" WHERE role = 'programme_manager'",
    )
    refuse_to_lose(
        "people's answers on sex, age band or role, or a programme manager's limit",
        'SELECT count(*) FROM "user" WHERE '
        + " OR ".join(f"{c} IS NOT NULL" for c in NEW_COLUMNS),
    )
    op.drop_table("course_evaluation")
    op.drop_table("knowledge_test")
    # allowed to lose data: a programme manager becomes the learner the older schema knows
    op.execute("UPDATE \"user\" SET role = 'learner' WHERE role = 'programme_manager'")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index("ix_user_province_district")
        for name in ("scope_province", "work_role", "age_band", "sex", "role"):
            batch_op.drop_constraint(batch_op.f(f"ck_user_{name}"), type_="check")
        batch_op.alter_column("role", existing_type=sa.String(length=32),
                              type_=sa.String(length=16), existing_nullable=False)
        batch_op.create_check_constraint("role", OLD_ROLES)
        for name in reversed(NEW_COLUMNS):
            batch_op.drop_column(name)
