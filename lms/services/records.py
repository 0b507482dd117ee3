"""A person's own records, as they can download them: profile, enrolments, hours, attempts, certificates.

One function gathers everything into plain tables (``Records``); the JSON and CSV downloads are two
renderings of the same tables, so they cannot disagree about what a person's records are.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.models.certificates import Certificate
from lms.models.cohorts import Cohort, CohortMember
from lms.models.enrolment import Enrolment
from lms.models.figures import CourseEvaluation, KnowledgeTest
from lms.models.hours import HoursAdjustment, LessonCredit, WorkshopMark, WorkshopSession
from lms.models.quizzes import QuizAttempt
from lms.models.users import User
from lms.services import exports

PROFILE_FIELDS = (
    "id",
    "email",
    "full_name",
    "role",
    "organisation_type",
    "organisation",
    "job_title",
    "province",
    "district",
    "sex",
    "age_band",
    "work_role",
    "created_at",
    "last_login_at",
)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Records:
    generated_at: datetime
    tables: tuple[Table, ...]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _table(name: str, columns: tuple[str, ...], rows) -> Table:
    return Table(name, columns, [tuple(_plain(v) for v in row) for row in rows])


def gather(session: Session, user: User, *, now: datetime) -> Records:
    """Everything the platform holds about ``user`` that is theirs to see, in fixed tables."""
    uid = user.id
    profile = _table("profile", ("field", "value"), [(f, getattr(user, f)) for f in PROFILE_FIELDS])
    enrolments = _table(
        "enrolments",
        ("course", "enrolled_at"),
        session.execute(
            select(Enrolment.course_slug, Enrolment.enrolled_at)
            .where(Enrolment.user_id == uid)
            .order_by(Enrolment.enrolled_at)
        ),
    )
    cohorts = _table(
        "cohorts",
        ("cohort", "course", "joined_at"),
        session.execute(
            select(Cohort.name, Cohort.course_slug, CohortMember.added_at)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == uid)
            .order_by(CohortMember.added_at)
        ),
    )
    online = _table(
        "online_time",
        ("course", "module", "lesson", "day", "seconds"),
        session.execute(
            select(
                LessonCredit.course_slug,
                LessonCredit.module_slug,
                LessonCredit.lesson_key,
                LessonCredit.day,
                LessonCredit.seconds,
            )
            .where(LessonCredit.user_id == uid)
            .order_by(LessonCredit.day, LessonCredit.lesson_key)
        ),
    )
    workshops = _table(
        "workshops",
        ("course", "module", "held_on", "place", "status", "minutes_attended", "remark"),
        session.execute(
            select(
                WorkshopSession.course_slug,
                WorkshopSession.module_slug,
                WorkshopSession.held_on,
                WorkshopSession.place,
                WorkshopMark.status,
                WorkshopMark.minutes_attended,
                WorkshopMark.remark,
            )
            .join(WorkshopSession, WorkshopSession.id == WorkshopMark.session_id)
            .where(WorkshopMark.user_id == uid)
            .order_by(WorkshopSession.held_on)
        ),
    )
    adjustments = _table(
        "hours_adjustments",
        ("course", "module", "minutes", "reason", "made_at"),
        session.execute(
            select(
                HoursAdjustment.course_slug,
                HoursAdjustment.module_slug,
                HoursAdjustment.minutes,
                HoursAdjustment.reason,
                HoursAdjustment.created_at,
            )
            .where(HoursAdjustment.user_id == uid)
            .order_by(HoursAdjustment.created_at)
        ),
    )
    attempts = _table(
        "quiz_attempts",
        ("course", "module", "attempt", "started_at", "submitted_at", "score", "passed"),
        session.execute(
            select(
                QuizAttempt.course_slug,
                QuizAttempt.module_slug,
                QuizAttempt.number,
                QuizAttempt.started_at,
                QuizAttempt.submitted_at,
                QuizAttempt.score,
                QuizAttempt.passed,
            )
            .where(QuizAttempt.user_id == uid)
            .order_by(QuizAttempt.started_at)
        ),
    )
    certificates = _table(
        "certificates",
        ("serial", "course", "name_as_printed", "hours", "issued_at", "revoked_at", "reason"),
        (
            (
                c.serial,
                c.course_title,
                c.name,
                c.minutes / 60,
                c.issued_at,
                c.revoked_at,
                c.revoked_reason,
            )  # fmt: skip
            for c in session.scalars(
                select(Certificate).where(Certificate.user_id == uid).order_by(Certificate.id)
            )
        ),
    )
    tests = _table(
        "knowledge_tests",
        ("course", "test", "started_at", "submitted_at", "score"),
        session.execute(
            select(
                KnowledgeTest.course_slug,
                KnowledgeTest.kind,
                KnowledgeTest.started_at,
                KnowledgeTest.submitted_at,
                KnowledgeTest.score,
            )
            .where(KnowledgeTest.user_id == uid)
            .order_by(KnowledgeTest.started_at)
        ),
    )
    evaluations = _table(
        "evaluations",
        ("course", "satisfaction", "usefulness", "confidence_before", "confidence_after",
         "improve", "comments", "submitted_at"),
        session.execute(
            select(
                CourseEvaluation.course_slug, CourseEvaluation.satisfaction,
                CourseEvaluation.usefulness, CourseEvaluation.confidence_before,
                CourseEvaluation.confidence_after, CourseEvaluation.improve,
                CourseEvaluation.comments, CourseEvaluation.submitted_at,
            )
            .where(CourseEvaluation.user_id == uid)
            .order_by(CourseEvaluation.submitted_at)
        ),
    )  # fmt: skip
    return Records(
        now,
        (profile, enrolments, cohorts, online, workshops, adjustments, attempts, certificates,
         tests, evaluations),
    )  # fmt: skip


def as_json(records: Records) -> bytes:
    document = {
        "generated_at": records.generated_at.isoformat(),
        **{t.name: (dict(t.rows) if t.name == "profile" else t.as_dicts()) for t in records.tables},
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def as_csv_zip(records: Records) -> bytes:
    """One CSV file a table, in a ZIP, written by the one CSV writer (``exports.csv_text``)."""
    buffer = io.BytesIO()
    stamp = records.generated_at.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in records.tables:
            text = exports.csv_text([table.columns, *table.rows])
            info = zipfile.ZipInfo(f"{table.name}.csv", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, "\ufeff" + text)
    return buffer.getvalue()
