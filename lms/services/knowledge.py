"""The pre-test and post-test of a course, and the course evaluation: the rules of when each may be
taken, and taking them once.

- The **pre-test** is taken once, at enrolment, before the first lesson: it opens on enrolment and
  closes for good once the learner has any progress in the course (reading time, a workshop
  attendance, an hours adjustment or a quiz attempt), so what it measures is what they knew before.
  Its answers are never shown, so the post-test asks questions they have not been given answers to.
- The **post-test** has the same questions, in an order of its own; it opens once the learner has
  finished the last module (every module's hours credited) or holds a certificate of the course,
  and is taken once. Neither counts toward the certificate.
- The **evaluation** opens with the certificate, or once the learner is on the last module (time
  credited on it); one per learner and course.

Knowledge gain is post-test score minus pre-test score, for a learner with both
(``lms.services.figures`` averages it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.content import Catalog
from lms.content.questions import Quiz
from lms.content.schema import Course
from lms.models.certificates import Certificate
from lms.models.figures import CourseEvaluation, KnowledgeTest
from lms.models.hours import HoursAdjustment, LessonCredit, WorkshopMark, WorkshopSession
from lms.models.quizzes import QuizAttempt
from lms.services import ServiceError, ledger, quizzes
from lms.services.enrolment import is_enrolled

KINDS = ("pre", "post")


@dataclass(frozen=True)
class TestState:
    """One of a learner's two tests: taken (with its score), open to take (or in progress), or
    closed (the pre-test once they started the course, the post-test until they finish it)."""

    kind: str
    test: KnowledgeTest | None
    may_take: bool

    @property
    def taken(self) -> bool:
        return self.test is not None and not self.test.is_open

    @property
    def score(self) -> int | None:
        return self.test.score if self.taken else None


@dataclass(frozen=True)
class Status:
    course: Course
    pre: TestState
    post: TestState
    evaluation: CourseEvaluation | None
    may_evaluate: bool

    @property
    def gain(self) -> int | None:
        if self.pre.score is None or self.post.score is None:
            return None
        return self.post.score - self.pre.score

    def state(self, kind: str) -> TestState:
        return self.pre if kind == "pre" else self.post


def test_of(course: Course) -> Quiz:
    if course.knowledge_test is None:
        raise ServiceError("This course has no pre-test and post-test.")
    return course.knowledge_test


def started_course(session: Session, user_id: int, course_slug: str) -> bool:
    """Any progress at all in the course: the moment the pre-test closes."""
    ws = select(WorkshopMark.id).join(
        WorkshopSession, WorkshopSession.id == WorkshopMark.session_id
    )
    return bool(
        session.scalar(
            select(
                or_(
                    exists(select(LessonCredit.id).where(
                        LessonCredit.user_id == user_id, LessonCredit.course_slug == course_slug)),
                    exists(ws.where(WorkshopMark.user_id == user_id,
                                    WorkshopSession.course_slug == course_slug,
                                    WorkshopMark.minutes_attended > 0)),
                    exists(select(HoursAdjustment.id).where(
                        HoursAdjustment.user_id == user_id,
                        HoursAdjustment.course_slug == course_slug)),
                    exists(select(QuizAttempt.id).where(
                        QuizAttempt.user_id == user_id, QuizAttempt.course_slug == course_slug)),
                )
            )
        )
    )  # fmt: skip


def _holds_certificate(session: Session, user_id: int, course_slug: str) -> bool:
    return (
        session.scalar(
            select(Certificate.id).where(
                Certificate.user_id == user_id,
                Certificate.course_slug == course_slug,
                Certificate.revoked_at.is_(None),
            )
        )
        is not None
    )


def _progress(session: Session, course: Course, user_id: int) -> tuple[bool, bool]:
    """(finished: every module's hours credited or a certificate held, on the last module: time
    credited on it or a certificate held): when the post-test and the evaluation open."""
    if _holds_certificate(session, user_id, course.slug):
        return True, True
    hours = ledger.course_hours(session, course, user_id)
    return hours.complete, hours.module(course.modules[-1].slug).credited_seconds > 0


def _tests(session: Session, user_id: int, course_slug: str) -> dict[str, KnowledgeTest]:
    rows = session.scalars(
        select(KnowledgeTest).where(
            KnowledgeTest.user_id == user_id, KnowledgeTest.course_slug == course_slug
        )
    )
    return {t.kind: t for t in rows}


def evaluation_of(session: Session, user_id: int, course_slug: str) -> CourseEvaluation | None:
    return session.scalar(
        select(CourseEvaluation).where(
            CourseEvaluation.user_id == user_id, CourseEvaluation.course_slug == course_slug
        )
    )


def status(session: Session, course: Course, user_id: int) -> Status | None:
    """The learner's two tests and evaluation in the course; ``None`` when not enrolled or the
    course has no test."""
    if course.knowledge_test is None or not is_enrolled(session, user_id, course.slug):
        return None
    tests = _tests(session, user_id, course.slug)
    pre, post = tests.get("pre"), tests.get("post")
    pre_open = (pre is None or pre.is_open) and not started_course(session, user_id, course.slug)
    finished, on_last = _progress(session, course, user_id)
    evaluation = evaluation_of(session, user_id, course.slug)
    return Status(
        course,
        TestState("pre", pre, pre_open),
        TestState("post", post, (post is None or post.is_open) and finished),
        evaluation,
        evaluation is None and (finished or on_last),
    )


def start(
    session: Session, catalog: Catalog, user_id: int, course_slug: str, kind: str, *, now: datetime
) -> KnowledgeTest:
    """The learner's test of this kind in the course, started now if it was not; refused when it
    was taken, or is not open (see the module's rules)."""
    course = catalog.course(course_slug)
    if course is None or kind not in KINDS:
        raise ServiceError("There is no such test.")
    quiz = test_of(course)
    current = status(session, course, user_id)
    if current is None:
        raise ServiceError("Enrol in the course first.")
    state = current.state(kind)
    if state.taken:
        raise ServiceError(_already(kind))
    if not state.may_take:
        raise ServiceError(_closed(kind))
    if state.test is not None:
        return state.test
    seed = secrets.randbits(31)
    test = KnowledgeTest(
        user_id=user_id,
        course_slug=course.slug,
        kind=kind,
        seed=seed,
        choice_secret=quizzes.new_choice_secret(),
        question_ids=quizzes.question_order(quiz, seed),
        content_version=catalog.version,
        started_at=now,
        responses={},
    )
    try:
        with session.begin_nested():
            session.add(test)
    except IntegrityError:  # a double tap started it at the same moment
        test = _tests(session, user_id, course.slug).get(kind)
        if test is None:
            raise
    return test


def _already(kind: str) -> str:
    return (
        "You have taken the pre-test of this course." if kind == "pre"
        else "You have taken the post-test of this course."
    )  # fmt: skip


def _closed(kind: str) -> str:
    if kind == "pre":
        return (
            "The pre-test is taken before the first lesson; you have started the course, so it "
            "is closed."
        )
    return "The post-test opens once you have finished the last module."


def submit(session: Session, catalog: Catalog, test: KnowledgeTest, form, *, now: datetime) -> int:
    """Grade the test once; its score (0-100). No answers are shown after it, and a pre-test
    whose course was started meanwhile is refused (and stays open to nobody)."""
    if not test.is_open:
        raise quizzes.AlreadySubmitted(_already(test.kind))
    course = catalog.course(test.course_slug)
    if course is None:
        raise ServiceError("There is no such test.")
    quiz = test_of(course)
    if test.kind == "pre" and started_course(session, test.user_id, course.slug):
        raise ServiceError(_closed("pre"))
    answers = quizzes.read_answers(quiz, test, form)
    if not answers:
        raise ServiceError("You have not answered any question yet.")
    marks = quizzes.marks_of(quiz, test, answers)
    score = round(100 * sum(marks.values()) / len(marks)) if marks else 0
    changed = session.execute(
        update(KnowledgeTest)
        .where(KnowledgeTest.id == test.id, KnowledgeTest.submitted_at.is_(None))
        .values(responses=answers, score=score, submitted_at=now)
        .returning(KnowledgeTest.id)
    ).first()
    if changed is None:
        raise quizzes.AlreadySubmitted(_already(test.kind))
    session.expire(test)
    return score


RATINGS = ("satisfaction", "usefulness", "confidence_before", "confidence_after")


def evaluate(
    session: Session,
    catalog: Catalog,
    user_id: int,
    course_slug: str,
    ratings: dict[str, int],
    improve: str,
    comments: str,
    *,
    now: datetime,
) -> CourseEvaluation:
    """Record the learner's evaluation of the course, once."""
    course = catalog.course(course_slug)
    if course is None:
        raise ServiceError("There is no such course.")
    current = status(session, course, user_id)
    if current is None:
        raise ServiceError("Enrol in the course first.")
    if current.evaluation is not None:
        raise ServiceError("You have evaluated this course already. Thank you.")
    if not current.may_evaluate:
        raise ServiceError("The evaluation opens once you reach the last module.")
    for name in RATINGS:
        value = ratings.get(name)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ServiceError("Choose a rating from 1 to 5.", name)
    evaluation = CourseEvaluation(
        user_id=user_id,
        course_slug=course.slug,
        **{name: ratings[name] for name in RATINGS},
        improve=(improve or "").strip(),
        comments=(comments or "").strip(),
        submitted_at=now,
    )
    try:
        with session.begin_nested():
            session.add(evaluation)
    except IntegrityError:
        raise ServiceError("You have evaluated this course already. Thank you.") from None
    return evaluation
