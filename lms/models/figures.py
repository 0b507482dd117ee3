"""What the programme's figures need beyond hours, quizzes and certificates: the knowledge test a
learner takes before the first lesson and again after the last module, and the course evaluation.

Neither counts toward a certificate. An evaluation keeps its author's id only so that each learner
gives one per course and the figures can be filtered like every other; no report, page or export
names who wrote it (``lms.services.figures``).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base, UTCDateTime

TEST_KINDS = ("pre", "post")


class KnowledgeTest(Base):
    """A learner's pre-test or post-test of a course: started once, graded once, never retaken.

    The same questions as the course's ``knowledge_test`` quiz, in an order of the attempt's own
    (``seed``); ``choice_secret`` names the options on its page as a quiz attempt's does
    (``lms.services.quizzes``).
    """

    __tablename__ = "knowledge_test"
    __table_args__ = (
        UniqueConstraint("user_id", "course_slug", "kind"),
        CheckConstraint("kind IN ('pre', 'post')", name="kind"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    course_slug: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(4))  #: "pre" or "post"
    seed: Mapped[int]
    choice_secret: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(32))
    question_ids: Mapped[list[str]] = mapped_column(JSON)
    content_version: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responses: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[int | None]  #: percent, once submitted

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None


class CourseEvaluation(Base):
    """A learner's evaluation of a course, one per learner and course: ratings 1 to 5 and text."""

    __tablename__ = "course_evaluation"
    __table_args__ = (
        UniqueConstraint("user_id", "course_slug"),
        *(
            CheckConstraint(f"{name} >= 1 AND {name} <= 5", name=name)
            for name in ("satisfaction", "usefulness", "confidence_before", "confidence_after")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    course_slug: Mapped[str] = mapped_column(String(80))
    satisfaction: Mapped[int]  #: overall, 1 (very poor) to 5 (very good)
    usefulness: Mapped[int]  #: for the person's work, 1 to 5
    confidence_before: Mapped[int]  #: in the subject before the course, 1 to 5
    confidence_after: Mapped[int]  #: and after it
    improve: Mapped[str] = mapped_column(Text, default="")  #: what to improve
    comments: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FiguresEnrolment(Base):
    """One enrolment's progress as the figures count it, kept so that the figures page reads one
    row per enrolment instead of every reading row, attempt and mark (``lms.services.figures``
    computes and refreshes it; nothing else writes it). ``catalog_key`` names the course's modules,
    minutes and quizzes it was computed for: a row of another key is computed again."""

    __tablename__ = "figures_enrolment"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    course_slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    catalog_key: Mapped[str] = mapped_column(String(16))
    completed: Mapped[int] = mapped_column()  #: 1: every module's hours credited
    passed: Mapped[int] = mapped_column()  #: 1: every module quiz passed
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: first, not revoked
    active: Mapped[int] = mapped_column()  #: 1: read, submitted a quiz or attended, ever
    credited_seconds: Mapped[int] = mapped_column()
    online_seconds: Mapped[int] = mapped_column()
    workshop_seconds: Mapped[int] = mapped_column()
    pre_score: Mapped[int | None] = mapped_column()
    post_score: Mapped[int | None] = mapped_column()


#: PostgreSQL storage parameters of ``figures_change`` (also set by the migration
#: figvacuum_20261202): vacuum and analyse after a fixed number of changed rows, not a share of
#: the table
AUTOVACUUM = {
    "autovacuum_vacuum_scale_factor": "0",
    "autovacuum_vacuum_threshold": "200",
    "autovacuum_analyze_scale_factor": "0",
    "autovacuum_analyze_threshold": "200",
}


class FiguresChange(Base):
    """An enrolment whose ``FiguresEnrolment`` row is out of date: written by the database's own
    triggers (``create_triggers``) in the transaction of any change to the rows it is computed
    from, whichever code makes it; cleared by the refresh that saw it (``seen`` = ``version``).
    No foreign key: a person's rows deleted with them mark their enrolments too.

    A queue: rows come and go all day, and the refresh joins it to the enrolments and the reading
    time. With PostgreSQL's default autovacuum (after a fifth of the table changes) its dead rows
    and its statistics lag, and the planner, expecting a hundred thousand rows for ten, reads
    every learner's reading time: a refresh of ten changes took 0.93 s against 0.12 s once the
    table was vacuumed. ``AUTOVACUUM`` has it vacuumed and analysed after every few hundred
    changes."""

    __tablename__ = "figures_change"
    __table_args__ = {"postgresql_with": AUTOVACUUM}

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    course_slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    seen: Mapped[int | None] = mapped_column()


# --- the triggers that mark an enrolment changed ---------------------------------------------------
#: table -> how its row names the enrolment: (user, course) as SQL over the row (``{row}``: NEW or
#: OLD), or None for workshop marks, whose course is their session's
_SOURCES = {
    "enrolment": ("{row}.user_id", "{row}.course_slug"),
    "lesson_credit": ("{row}.user_id", "{row}.course_slug"),
    "hours_adjustment": ("{row}.user_id", "{row}.course_slug"),
    "quiz_attempt": ("{row}.user_id", "{row}.course_slug"),
    "certificate": ("{row}.user_id", "{row}.course_slug"),
    "knowledge_test": ("{row}.user_id", "{row}.course_slug"),
}
#: a mark not yet seen by a refresh is left as it is (that refresh will see this change too): only
#: a mark a refresh has read (``seen``) moves on, so that the refresh keeps it
_MARK = (
    "INSERT INTO figures_change (user_id, course_slug, version) {select} "
    "ON CONFLICT (user_id, course_slug) DO UPDATE SET version = figures_change.version + 1 "
    "WHERE figures_change.seen IS NOT NULL"
)


_BY_SESSION = (
    "SELECT {row}.user_id, s.course_slug, 1 FROM workshop_session s WHERE s.id = {row}.session_id"
)
_SESSION_MARKS = (
    "SELECT m.user_id, {row}.course_slug, 1 FROM workshop_mark m WHERE m.session_id = {row}.id"
)


#: an updated row's old enrolment, when the update moved the row to another
_MOVED = {
    "workshop_mark": "(OLD.session_id <> NEW.session_id OR OLD.user_id <> NEW.user_id)",
    "workshop_session": "OLD.course_slug <> NEW.course_slug",
}
_MOVED_KEY = "(OLD.user_id <> NEW.user_id OR OLD.course_slug <> NEW.course_slug)"


def _marks(table: str, row: str) -> list[str]:
    """The statements that mark the enrolments a ``row`` of ``table`` counts in: NEW, OLD, or
    MOVED (an update's OLD row, only when the update moved it to another enrolment)."""
    moved = row == "MOVED"
    row = "OLD" if moved else row
    if table in _SOURCES:
        user, course = (part.format(row=row) for part in _SOURCES[table])
        where = _MOVED_KEY if moved else "true"
        return [_MARK.format(select=f"SELECT {user}, {course}, 1 WHERE {where}")]
    select = (_BY_SESSION if table == "workshop_mark" else _SESSION_MARKS).format(row=row)
    if moved:
        select += f" AND {_MOVED[table]}"
    return [_MARK.format(select=select)]


#: the tables a ``FiguresEnrolment`` row is computed from, and the changes of each that count (a
#: session's marks go before it is deleted: a mark's own trigger would find no session then)
TRIGGERED = {
    **{table: ("INSERT", "UPDATE", "DELETE") for table in _SOURCES},
    "workshop_mark": ("INSERT", "UPDATE", "DELETE"),
    "workshop_session": ("UPDATE", "DELETE"),
}


def trigger_names() -> list[str]:
    return sorted(
        f"figures_{table}_{kind.lower()}" for table, events in TRIGGERED.items() for kind in events
    )


def create_triggers(dialect: str) -> list[str]:
    """The DDL of ``create_triggers`` for ``dialect`` ("sqlite" or "postgresql"); the models'
    ``create_all`` and the migration run the same statements."""
    statements = []
    for table, events in TRIGGERED.items():
        for kind in events:
            name = f"figures_{table}_{kind.lower()}"
            rows = {"INSERT": ["NEW"], "DELETE": ["OLD"], "UPDATE": ["NEW", "MOVED"]}[kind]
            body = [m for row in rows for m in _marks(table, row)]
            when = "BEFORE" if table == "workshop_session" and kind == "DELETE" else "AFTER"
            if dialect == "postgresql":
                result = "OLD" if when == "BEFORE" else "NULL"
                statements.append(
                    f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    + "; ".join(body) + f"; RETURN {result}; END $$"
                )  # fmt: skip
                statements.append(
                    f'CREATE OR REPLACE TRIGGER {name} {when} {kind} ON "{table}" FOR EACH ROW '
                    f"EXECUTE FUNCTION {name}()"
                )
            else:
                statements.append(
                    f'CREATE TRIGGER {name} {when} {kind} ON "{table}" FOR EACH ROW BEGIN '
                    + "; ".join(body) + "; END"
                )  # fmt: skip
    return statements


def drop_triggers(dialect: str) -> list[str]:
    statements = []
    for table, events in TRIGGERED.items():
        for kind in events:
            name = f"figures_{table}_{kind.lower()}"
            if dialect == "postgresql":
                statements.append(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
                statements.append(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                statements.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements


@event.listens_for(Base.metadata, "after_create")
def _create_triggers(target, connection, **kw) -> None:
    """``create_all`` (the tests' schema) makes the triggers the migration makes."""
    if connection.dialect.name in ("sqlite", "postgresql") and "figures_change" in target.tables:
        for statement in create_triggers(connection.dialect.name):
            connection.exec_driver_sql(statement)
