"""lesson credit: an index of (learner, course, module, seconds) for the progress matrix

The matrix sums a whole cohort's credit per learner and module in the database; with this index
it reads only the index, in the order of its GROUP BY (EXPLAIN: "SEARCH lesson_credit USING
COVERING INDEX ix_lesson_credit_learner_module (user_id=? AND course_slug=?)").

Revision ID: cheap23_20261202
Revises: figures_20261202
Create Date: 2026-12-02 06:30:00

"""

from alembic import op

revision = "cheap23_20261202"
down_revision = "figures_20261202"
branch_labels = None
depends_on = None

COLUMNS = ["user_id", "course_slug", "module_slug", "seconds"]


def upgrade():
    op.create_index("ix_lesson_credit_learner_module", "lesson_credit", COLUMNS)


def downgrade():
    # An index holds no data of its own: dropping it loses nothing (no refusal needed), and every
    # row and value stays where the older schema has it.
    op.drop_index("ix_lesson_credit_learner_module", table_name="lesson_credit")
