"""Quiz attempts: start or resume, the order shown, saving, grading once, and results per module.

Grading itself belongs to the question types (``lms.content.questions``); this module applies it to
an attempt and records the outcome. Nothing here touches a request: answers arrive as a mapping of
field name to the list of submitted values.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.content import Catalog
from lms.content.questions import AnswerRejected, Matching, Question, Quiz
from lms.models.quizzes import QuizAttempt
from lms.services import ServiceError

FIELD_PREFIX = "q-"


class AlreadySubmitted(ServiceError):
    """The attempt was graded before; it is never graded twice."""


class NoAttemptsLeft(ServiceError):
    pass


# --- the order an attempt shows ----------------------------------------------------------------
@dataclass(frozen=True)
class ShownQuestion:
    """A question as one attempt shows it: choice keys (or right-hand items) in the attempt's order."""

    number: int
    question: Question
    order: tuple[str, ...]  #: choice keys, or for matching the right-item indexes

    @property
    def field(self) -> str:
        return FIELD_PREFIX + self.question.id


def question_order(quiz: Quiz, seed: int) -> list[str]:
    ids = [q.id for q in quiz.questions]
    if quiz.shuffle:
        random.Random(seed).shuffle(ids)
    return ids


def _item_order(question: Question, seed: int, shuffle: bool) -> tuple[str, ...]:
    if isinstance(question, Matching):
        keys = [str(i) for i in range(len(question.pairs))]
    else:
        keys = [c.key for c in getattr(question, "choices", ())]
    if shuffle:
        random.Random(f"{seed}:{question.id}").shuffle(keys)
    return tuple(keys)


def shown_questions(quiz: Quiz, attempt: QuizAttempt) -> list[ShownQuestion]:
    """The attempt's questions in its stored order; questions removed from the quiz since are left out."""
    shown = []
    for qid in attempt.question_ids:
        question = quiz.question(qid)
        if question is not None:
            order = _item_order(question, attempt.seed, quiz.shuffle)
            shown.append(ShownQuestion(len(shown) + 1, question, order))
    return shown


# --- reading answers -----------------------------------------------------------------------------
def read_answers(
    quiz: Quiz, attempt: QuizAttempt, form: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """Form values -> {question id: response as JSON}; ``AnswerRejected`` for anything tampered.

    A field for a question that is not in this attempt, or a value a question does not offer, is
    refused as a whole: nothing of the submission is kept.
    """
    shown = {s.field: s for s in shown_questions(quiz, attempt)}
    for name in form:
        if name.startswith(FIELD_PREFIX) and name not in shown:
            raise AnswerRejected("an answer to a question that is not in this attempt")
    answers: dict[str, Any] = {}
    for name, item in shown.items():
        values = [v for v in form.get(name, ()) if v != ""]
        response = item.question.read_response(values)
        if response not in (None, "", frozenset(), {}):
            answers[item.question.id] = item.question.to_json(response)
    return answers


# --- starting, saving, submitting ----------------------------------------------------------------
def quiz_or_error(catalog: Catalog, course_slug: str, module_slug: str) -> Quiz:
    module = catalog.module(course_slug, module_slug)
    if module is None or module.quiz is None:
        raise ServiceError("There is no such quiz.")
    return module.quiz


def open_attempt(
    session: Session, user_id: int, course_slug: str, module_slug: str
) -> QuizAttempt | None:
    return session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.course_slug == course_slug,
            QuizAttempt.module_slug == module_slug,
            QuizAttempt.submitted_at.is_(None),
        )
    )


def attempts_used(session: Session, user_id: int, course_slug: str, module_slug: str) -> int:
    return session.scalar(
        select(func.count(QuizAttempt.id)).where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.course_slug == course_slug,
            QuizAttempt.module_slug == module_slug,
        )
    )


def start_or_resume(
    session: Session,
    catalog: Catalog,
    user_id: int,
    course_slug: str,
    module_slug: str,
    *,
    now: datetime,
    seed: int | None = None,
) -> QuizAttempt:
    """The learner's open attempt at this quiz, or a new one if attempts remain."""
    quiz = quiz_or_error(catalog, course_slug, module_slug)
    existing = open_attempt(session, user_id, course_slug, module_slug)
    if existing is not None:
        return existing
    used = attempts_used(session, user_id, course_slug, module_slug)
    if quiz.attempts is not None and used >= quiz.attempts:
        raise NoAttemptsLeft(
            f"You have used all {quiz.attempts} attempts at this quiz. Ask your instructor if you "
            "need another."
        )
    seed = secrets.randbits(31) if seed is None else seed
    attempt = QuizAttempt(
        user_id=user_id,
        course_slug=course_slug,
        module_slug=module_slug,
        number=used + 1,
        seed=seed,
        question_ids=question_order(quiz, seed),
        pass_mark=quiz.pass_mark,
        content_version=catalog.version,
        started_at=now,
        responses={},
    )
    try:
        with session.begin_nested():
            session.add(attempt)
    except IntegrityError:
        # Another request (a double tap) started one at the same moment: use that one.
        existing = open_attempt(session, user_id, course_slug, module_slug)
        if existing is None:
            raise
        return existing
    return attempt


def save(session: Session, catalog: Catalog, attempt: QuizAttempt, form, *, now: datetime) -> None:
    """Keep the answers so far without grading (for a dropped connection or a later visit)."""
    if not attempt.is_open:
        raise AlreadySubmitted("This attempt was already submitted; its answers cannot change.")
    quiz = quiz_or_error(catalog, attempt.course_slug, attempt.module_slug)
    answers = read_answers(quiz, attempt, form)
    changed = session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.submitted_at.is_(None))
        .values(responses=answers, saved_at=now)
        .returning(QuizAttempt.id)
    ).first()
    if changed is None:
        raise AlreadySubmitted("This attempt was already submitted; its answers cannot change.")
    session.expire(attempt)


@dataclass(frozen=True)
class Outcome:
    score: int
    passed: bool
    marks: dict[str, float]


def grade(quiz: Quiz, attempt: QuizAttempt, answers: Mapping[str, Any]) -> Outcome:
    """Score 0-100 over the attempt's questions; unanswered questions score zero."""
    shown = shown_questions(quiz, attempt)
    marks = {
        s.question.id: s.question.grade(s.question.from_json(answers.get(s.question.id))).score
        for s in shown
    }
    score = round(100 * sum(marks.values()) / len(marks)) if marks else 0
    return Outcome(score, score >= attempt.pass_mark, marks)


def submit(
    session: Session, catalog: Catalog, attempt: QuizAttempt, form, *, now: datetime
) -> Outcome:
    """Grade the attempt once. A second submission is refused and changes nothing."""
    if not attempt.is_open:
        raise AlreadySubmitted("This attempt was already submitted; it is not graded again.")
    quiz = quiz_or_error(catalog, attempt.course_slug, attempt.module_slug)
    answers = read_answers(quiz, attempt, form)
    if not answers:
        raise ServiceError("You have not answered any question yet.")
    outcome = grade(quiz, attempt, answers)
    # The WHERE clause makes "graded once" hold even for two submissions at the same moment.
    changed = session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.submitted_at.is_(None))
        .values(
            responses=answers,
            marks=outcome.marks,
            score=outcome.score,
            passed=outcome.passed,
            submitted_at=now,
        )
        .returning(QuizAttempt.id)
    ).first()
    if changed is None:
        raise AlreadySubmitted("This attempt was already submitted; it is not graded again.")
    session.expire(attempt)
    return outcome


# --- results ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModuleResult:
    attempts: int  #: submitted attempts
    best_score: int | None
    passed: bool
    open_attempt: bool


def results(session: Session, user_id: int, course_slug: str) -> dict[str, ModuleResult]:
    """Per module of the course: submitted attempts, best score, passed (any attempt at the mark)."""
    rows = session.execute(
        select(
            QuizAttempt.module_slug,
            func.count(QuizAttempt.submitted_at),
            func.max(QuizAttempt.score),
            func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)),
            func.count(QuizAttempt.id) - func.count(QuizAttempt.submitted_at),
        )
        .where(QuizAttempt.user_id == user_id, QuizAttempt.course_slug == course_slug)
        .group_by(QuizAttempt.module_slug)
    ).all()
    return {
        module: ModuleResult(int(done), best, bool(passed), bool(open_count))
        for module, done, best, passed, open_count in rows
    }


def history(
    session: Session, user_id: int, course_slug: str, module_slug: str
) -> list[QuizAttempt]:
    return list(
        session.scalars(
            select(QuizAttempt)
            .where(
                QuizAttempt.user_id == user_id,
                QuizAttempt.course_slug == course_slug,
                QuizAttempt.module_slug == module_slug,
            )
            .order_by(QuizAttempt.number)
        )
    )


# --- the review after submitting -------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewItem:
    shown: ShownQuestion
    your_answer: str
    correct_answer: str
    score: float
    feedback: tuple[str, ...]

    @property
    def correct(self) -> bool:
        return self.score >= 1.0


def review(quiz: Quiz, attempt: QuizAttempt) -> list[ReviewItem]:
    if attempt.is_open:
        raise ServiceError("The answers are shown once the attempt is submitted.")
    items = []
    for shown in shown_questions(quiz, attempt):
        q = shown.question
        response = q.from_json(attempt.responses.get(q.id))
        items.append(
            ReviewItem(
                shown,
                q.answer_text(response),
                q.answer_text(q.full_marks()),
                (attempt.marks or {}).get(q.id, 0.0),
                tuple(q.feedback_for(response)),
            )
        )
    return items
