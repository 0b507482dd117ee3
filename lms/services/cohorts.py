"""Cohorts: creating, joining by code, members, assignments with statuses, and the progress matrix.

The matrix reads the hours ledger (``hours.hours_for_learners``), the quiz results and the
certificates for all members at once: a fixed number of queries whatever the cohort's size.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from lms.certificates.codes import ALPHABET
from lms.content import Catalog
from lms.content.schema import Course
from lms.models.certificates import Certificate
from lms.models.cohorts import Assignment, Cohort, CohortInstructor, CohortMember
from lms.models.quizzes import QuizAttempt
from lms.models.users import User
from lms.services import ServiceError, accounts, enrolment, hours, names

JOIN_CODE_LENGTH = 8


def _new_join_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(typed: str) -> str:
    cleaned = "".join(ch for ch in typed.upper() if ch not in " -")
    return cleaned.replace("O", "0").replace("I", "1").replace("L", "1")


def create(
    session: Session,
    catalog: Catalog,
    *,
    name: str,
    course_slug: str,
    starts_on: date,
    ends_on: date,
    organisation_id: int | None,
    by: int,
    now: datetime,
) -> Cohort:
    if catalog.course(course_slug) is None:
        raise ServiceError("Choose a course.", "course")
    if not name.strip():
        raise ServiceError("Give the cohort a name.", "name")
    names.check_label(name, "name")
    if ends_on < starts_on:
        raise ServiceError("The end date is before the start date.", "ends_on")
    cohort = Cohort(
        name=name.strip()[:160],
        course_slug=course_slug,
        starts_on=starts_on,
        ends_on=ends_on,
        organisation_id=organisation_id,
        join_code=_new_join_code(),
        created_by=by,
        created_at=now,
    )
    session.add(cohort)
    session.flush()
    session.add(CohortInstructor(cohort_id=cohort.id, user_id=by))
    session.flush()
    return cohort


def instructors(session: Session, cohort: Cohort) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(CohortInstructor, CohortInstructor.user_id == User.id)
            .where(CohortInstructor.cohort_id == cohort.id)
            .order_by(User.full_name)
        )
    )


def add_instructor(session: Session, cohort: Cohort, email: str) -> User:
    person = accounts.find_by_email(session, email)
    if person is None or person.role not in ("instructor", "admin"):
        raise ServiceError("No instructor has that e-mail address.", "email")
    exists = session.get(CohortInstructor, (cohort.id, person.id))
    if exists is None:
        session.add(CohortInstructor(cohort_id=cohort.id, user_id=person.id))
        session.flush()
    return person


def add_member(
    session: Session, catalog: Catalog, cohort: Cohort, user_id: int, *, by: int | None, now
) -> bool:
    """Enrol the learner in the cohort's course and add them; False if already a member."""
    enrolment.enrol(session, catalog, user_id, cohort.course_slug, now=now)
    if session.get(CohortMember, (cohort.id, user_id)) is not None:
        return False
    session.add(CohortMember(cohort_id=cohort.id, user_id=user_id, added_at=now, added_by=by))
    session.flush()
    return True


def join(
    session: Session, catalog: Catalog, user_id: int, typed_code: str, *, today, now
) -> Cohort:
    code = normalise_join_code(typed_code)
    cohort = session.scalar(select(Cohort).where(Cohort.join_code == code)) if code else None
    if cohort is None:
        raise ServiceError("No cohort has this join code. Check it with your instructor.", "code")
    if today > cohort.ends_on:
        raise ServiceError(
            f"This cohort ended on {cohort.ends_on.strftime('%d %B %Y')}. Ask your instructor.",
            "code",
        )
    add_member(session, catalog, cohort, user_id, by=None, now=now)
    return cohort


def member_ids(session: Session, cohort: Cohort) -> list[int]:
    return list(
        session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id))
    )


def set_assignment(
    session: Session,
    catalog: Catalog,
    cohort: Cohort,
    module_slug: str | None,
    due_on: date,
    *,
    by: int,
    now,
) -> Assignment:
    if module_slug is not None and catalog.module(cohort.course_slug, module_slug) is None:
        raise ServiceError("Choose a module of the cohort's course.", "module")
    existing = session.scalar(
        select(Assignment).where(
            Assignment.cohort_id == cohort.id,
            Assignment.module_slug.is_(None)
            if module_slug is None
            else Assignment.module_slug == module_slug,
        )
    )
    if existing is not None:
        existing.due_on = due_on
        session.flush()
        return existing
    assignment = Assignment(
        cohort_id=cohort.id, module_slug=module_slug, due_on=due_on, created_by=by, created_at=now
    )
    session.add(assignment)
    session.flush()
    return assignment


def assignments_of(session: Session, cohort_ids: list[int]) -> list[Assignment]:
    if not cohort_ids:
        return []
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.cohort_id.in_(cohort_ids))
            .order_by(Assignment.due_on, Assignment.id)
        )
    )


# --- statuses ------------------------------------------------------------------------------------
NOT_STARTED, IN_PROGRESS, COMPLETE, OVERDUE = "not started", "in progress", "complete", "overdue"


def assignment_status(
    course_hours: hours.CourseHours,
    passed: set[str],
    attempted: set[str],
    module_slug: str | None,
    due_on: date,
    today: date,
) -> str:
    """The status of one assignment for one learner on ``today`` (a plain function)."""
    modules = [
        m for m in course_hours.modules if module_slug is None or m.module.slug == module_slug
    ]
    done = all(m.complete and (m.module.quiz is None or m.module.slug in passed) for m in modules)
    if done:
        return COMPLETE
    if today > due_on:
        return OVERDUE
    started = any(m.credited_seconds or m.module.slug in attempted for m in modules)
    return IN_PROGRESS if started else NOT_STARTED


@dataclass(frozen=True)
class QuizCell:
    best: int | None
    passed: bool


@dataclass(frozen=True)
class MatrixRow:
    learner: User
    hours: hours.CourseHours
    quizzes: dict[str, QuizCell]
    certificate: Certificate | None
    statuses: dict[int, str]  #: assignment id -> status

    @property
    def overdue(self) -> bool:
        return OVERDUE in self.statuses.values()


@dataclass(frozen=True)
class Matrix:
    cohort: Cohort
    course: Course
    assignments: list[Assignment]
    rows: list[MatrixRow]


def quiz_cells(session: Session, course_slug: str, user_ids: list[int]):
    """{user: {module: QuizCell}} and {user: attempted modules}, in one query."""
    cells: dict[int, dict[str, QuizCell]] = {u: {} for u in user_ids}
    attempted: dict[int, set[str]] = {u: set() for u in user_ids}
    if not user_ids:
        return cells, attempted
    for user_id, module, best, passed in session.execute(
        select(
            QuizAttempt.user_id,
            QuizAttempt.module_slug,
            func.max(QuizAttempt.score),
            func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)),
        )
        .where(QuizAttempt.course_slug == course_slug, QuizAttempt.user_id.in_(user_ids))
        .group_by(QuizAttempt.user_id, QuizAttempt.module_slug)
    ):
        cells[user_id][module] = QuizCell(best, bool(passed))
        attempted[user_id].add(module)
    return cells, attempted


def matrix(session: Session, catalog: Catalog, cohort: Cohort, *, today: date) -> Matrix:
    course = catalog.course(cohort.course_slug)
    if course is None:
        raise ServiceError("This cohort's course is no longer offered.")
    learners = list(
        session.scalars(
            select(User)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == cohort.id)
            .order_by(User.full_name, User.id)
        )
    )
    ids = [u.id for u in learners]
    ledger = hours.hours_for_learners(session, course, ids)
    cells, attempted = quiz_cells(session, course.slug, ids)
    issued = {
        c.user_id: c
        for c in session.scalars(
            select(Certificate).where(
                Certificate.course_slug == course.slug, Certificate.user_id.in_(ids)
            )
        )
    } if ids else {}  # fmt: skip
    assignments = assignments_of(session, [cohort.id])
    rows = []
    for learner in learners:
        passed = {m for m, cell in cells[learner.id].items() if cell.passed}
        statuses = {
            a.id: assignment_status(
                ledger[learner.id], passed, attempted[learner.id], a.module_slug, a.due_on, today
            )
            for a in assignments
        }
        rows.append(
            MatrixRow(
                learner, ledger[learner.id], cells[learner.id], issued.get(learner.id), statuses
            )
        )
    return Matrix(cohort, course, assignments, rows)


@dataclass(frozen=True)
class LearnerAssignment:
    cohort: Cohort
    assignment: Assignment
    label: str
    status: str


def assignments_for_learner(
    session: Session, catalog: Catalog, user_id: int, *, today: date
) -> list[LearnerAssignment]:
    """The learner's assignments across their cohorts, with their status today."""
    mine = list(
        session.scalars(
            select(Cohort)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == user_id)
        )
    )
    by_id = {c.id: c for c in mine}
    result = []
    ledgers: dict[str, hours.CourseHours] = {}
    quiz_state: dict[str, tuple[set[str], set[str]]] = {}
    for assignment in assignments_of(session, list(by_id)):
        cohort = by_id[assignment.cohort_id]
        course = catalog.course(cohort.course_slug)
        if course is None:
            continue
        if course.slug not in ledgers:
            ledgers[course.slug] = hours.course_hours(session, course, user_id)
            cells, attempted = quiz_cells(session, course.slug, [user_id])
            quiz_state[course.slug] = (
                {m for m, cell in cells[user_id].items() if cell.passed},
                attempted[user_id],
            )
        passed, attempted_modules = quiz_state[course.slug]
        module = course.module(assignment.module_slug) if assignment.module_slug else None
        label = f"{course.title}: " + (
            f"Module {module.number}: {module.title}" if module else "the whole course"
        )
        status = assignment_status(
            ledgers[course.slug], passed, attempted_modules, assignment.module_slug,
            assignment.due_on, today,
        )  # fmt: skip
        result.append(LearnerAssignment(cohort, assignment, label, status))
    return result
