"""figures kept per enrolment: figures_enrolment (each enrolment's progress as the figures page
counts it), figures_change (the enrolments changed since, marked by triggers on the tables it is
computed from). Not backfilled here: the figures page's first view computes every enrolment (it
needs the catalog's modules and minutes, which a migration does not load).

Revision ID: figperf_20261202
Revises: cheap23_20261202
Create Date: 2026-12-02 07:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "figperf_20261202"
down_revision = "cheap23_20261202"
branch_labels = None
depends_on = None

#: the tables whose changes mark an enrolment (lms.models.figures.TRIGGERED, as of this revision)
SOURCES = ("enrolment", "lesson_credit", "hours_adjustment", "quiz_attempt", "certificate",
           "knowledge_test")  # fmt: skip
MARK = (
    "INSERT INTO figures_change (user_id, course_slug, version) {select} "
    "ON CONFLICT (user_id, course_slug) DO UPDATE SET version = figures_change.version + 1 "
    "WHERE figures_change.seen IS NOT NULL"
)


BY_SESSION = (
    "SELECT {row}.user_id, s.course_slug, 1 FROM workshop_session s WHERE s.id = {row}.session_id"
)
SESSION_MARKS = (
    "SELECT m.user_id, {row}.course_slug, 1 FROM workshop_mark m WHERE m.session_id = {row}.id"
)


def _selects(table: str, row: str) -> str:
    """NEW, OLD, or MOVED: an update's OLD row, only when the update moved it to another
    enrolment."""
    moved = row == "MOVED"
    row = "OLD" if moved else row
    if table in SOURCES:
        where = (
            "(OLD.user_id <> NEW.user_id OR OLD.course_slug <> NEW.course_slug)"
            if moved
            else "true"
        )
        return f"SELECT {row}.user_id, {row}.course_slug, 1 WHERE {where}"
    if table == "workshop_mark":
        select = BY_SESSION.format(row=row)
        moved_when = "(OLD.session_id <> NEW.session_id OR OLD.user_id <> NEW.user_id)"
    else:
        select = SESSION_MARKS.format(row=row)
        moved_when = "OLD.course_slug <> NEW.course_slug"
    return select + (f" AND {moved_when}" if moved else "")


def _triggers():
    every = ("INSERT", "UPDATE", "DELETE")
    yield from ((table, kind) for table in (*SOURCES, "workshop_mark") for kind in every)
    yield from (("workshop_session", kind) for kind in ("UPDATE", "DELETE"))


def upgrade():
    op.create_table(
        "figures_enrolment",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_slug", sa.String(length=80), nullable=False),
        sa.Column("catalog_key", sa.String(length=16), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("certified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("credited_seconds", sa.Integer(), nullable=False),
        sa.Column("online_seconds", sa.Integer(), nullable=False),
        sa.Column("workshop_seconds", sa.Integer(), nullable=False),
        sa.Column("pre_score", sa.Integer(), nullable=True),
        sa.Column("post_score", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_figures_enrolment_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "course_slug", name=op.f("pk_figures_enrolment")),
    )  # fmt: skip
    op.create_table(
        "figures_change",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("course_slug", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "course_slug", name=op.f("pk_figures_change")),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, kind in _triggers():
        name = f"figures_{table}_{kind.lower()}"
        rows = {"INSERT": ["NEW"], "DELETE": ["OLD"], "UPDATE": ["NEW", "MOVED"]}[kind]
        body = "; ".join(MARK.format(select=_selects(table, row)) for row in rows)
        when = "BEFORE" if table == "workshop_session" and kind == "DELETE" else "AFTER"
        if postgres:
            result = "OLD" if when == "BEFORE" else "NULL"
            op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                       f"$$ BEGIN {body}; RETURN {result}; END $$")  # fmt: skip
            op.execute(f'CREATE OR REPLACE TRIGGER {name} {when} {kind} ON "{table}" FOR EACH ROW '
                       f"EXECUTE FUNCTION {name}()")  # fmt: skip
        else:
            op.execute(f'CREATE TRIGGER {name} {when} {kind} ON "{table}" FOR EACH ROW BEGIN '
                       f"{body}; END")  # fmt: skip


def downgrade():
    from data_loss import refuse_to_drop_rows

    # computed rows, but rows all the same: the guard asks, as for any table
    refuse_to_drop_rows("figures_enrolment", "figures_change")
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, kind in _triggers():
        name = f"figures_{table}_{kind.lower()}"
        if postgres:
            op.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("figures_change")
    op.drop_table("figures_enrolment")
