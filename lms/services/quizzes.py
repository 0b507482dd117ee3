"""Quiz attempts: start or resume, what the page shows (with the attempt's own option ids), saving,
grading once, attempts allowed (and granted beyond the limit), and results per module.

**Replays.** A save or submit may carry an idempotency key (the quiz page's hidden field, or a key
the page's script made for a save it queued while offline). The first request with a key is
carried out and its key recorded (``QuizRequest``) in the same transaction; a later request with
the same attempt, action and key is a replay: it changes nothing and gets the first one's answer
(``save`` returns False, ``submit`` the attempt's grade with ``Outcome.replayed``). A request
without a key, or with a new key, follows the rules as before (a submitted attempt is never graded
again: ``AlreadySubmitted``).

Grading itself belongs to the question types (``lms.content.questions``); this module applies it to
an attempt and records the outcome. Nothing here touches a request: answers arrive as a mapping of
field name to the list of submitted values.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import random
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.content import Catalog
from lms.content.questions import (
    AnswerRejected,
    Matching,
    MultipleChoice,
    Question,
    Quiz,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
)
from lms.models.certificates import Certificate
from lms.models.quizzes import QuizAttempt, QuizGrant, QuizRequest
from lms.services import ServiceError, audit, certificates, completion, ledger, renewal

FIELD_PREFIX = "q-"


class AlreadySubmitted(ServiceError):
    """The attempt was graded before; it is never graded twice."""


class NoAttemptsLeft(ServiceError):
    pass


# --- what an attempt shows ----------------------------------------------------------------------
# A question's choices have file-order keys ("0", "1", ...; for matching, the pair's index), and in
# the shipped quizzes the right choice is often the first. Those keys are what responses store and
# what grading reads, but they never reach the browser: each attempt has its own secret
# (``QuizAttempt.choice_secret``, random, kept on the server) and every option on its page is named
# by an HMAC of that secret, so ids differ between attempts and say nothing about the file order.
# The form's ids are mapped back to keys here, on the way in; anything else is refused.
def new_choice_secret() -> str:
    return secrets.token_hex(32)


def _opaque_id(secret: bytes, *parts: str) -> str:
    digest = hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode("ascii").lower()  # 16 letters and digits


@dataclass(frozen=True)
class Option:
    """One thing to pick on the page: ``id`` goes to the browser, ``key`` never does."""

    id: str
    key: str  #: the choice's key, "true"/"false", or for matching the right item's index


@dataclass(frozen=True)
class MatchRow:
    """A matching question's left item and the right items offered for it, in the attempt's order."""

    id: str  #: opaque, names the menu on the page
    key: str  #: the left item's index in the file
    options: tuple[Option, ...]  #: each id names this left item *and* one right item


@dataclass(frozen=True)
class ShownQuestion:
    """A question as one attempt shows it: its options, with this attempt's ids, in its order."""

    number: int
    question: Question
    options: tuple[Option, ...] = ()  #: choices, or True and False
    rows: tuple[MatchRow, ...] = ()  #: matching questions only
    free_text: bool = False  #: a short answer: the value is the text typed

    @property
    def field(self) -> str:
        return FIELD_PREFIX + self.question.id

    def values(self, submitted: Sequence[str]) -> list[str]:
        """Submitted ids -> the values the question reads; ``AnswerRejected`` for an unknown id."""
        if self.free_text:
            return list(submitted)
        table = {o.id: o.key for o in self.options}
        table.update({o.id: f"{row.key}:{o.key}" for row in self.rows for o in row.options})
        try:
            return [table[value] for value in submitted]
        except KeyError:
            raise AnswerRejected("an answer that is not one of the question's choices") from None


def question_order(quiz: Quiz, seed: int) -> list[str]:
    ids = [q.id for q in quiz.questions]
    if quiz.shuffle:
        random.Random(seed).shuffle(ids)
    return ids


def _options(secret: bytes, qid: str, kind: str, keys: Sequence[str], shuffle: bool):
    options = [Option(_opaque_id(secret, qid, kind, key), key) for key in keys]
    if shuffle:  # ordered by their random ids: an order of this attempt's own
        options.sort(key=lambda o: o.id)
    return tuple(options)


def show(question: Question, number: int, secret: bytes, shuffle: bool) -> ShownQuestion:
    qid = question.id
    if isinstance(question, ShortAnswer):
        return ShownQuestion(number, question, free_text=True)
    if isinstance(question, TrueFalse):
        return ShownQuestion(
            number, question, _options(secret, qid, "tf", ("true", "false"), False)
        )
    if isinstance(question, SingleChoice | MultipleChoice):
        keys = [c.key for c in question.choices]
        return ShownQuestion(number, question, _options(secret, qid, "choice", keys, shuffle))
    if isinstance(question, Matching):
        # The right items are always in an order of the attempt's own: in file order, the n-th
        # right item would be the answer for the n-th left item.
        keys = [str(i) for i in range(len(question.pairs))]
        rights = _options(secret, qid, "right", keys, True)
        rows = tuple(
            MatchRow(
                _opaque_id(secret, qid, "left", left),
                left,
                tuple(Option(_opaque_id(secret, qid, "pair", left, r.key), r.key) for r in rights),
            )
            for left in keys
        )
        return ShownQuestion(number, question, rows=rows)
    raise TypeError(f"no way to show a {question.TYPE!r} question")  # a new type must be added here


def shown_questions(quiz: Quiz, attempt: QuizAttempt) -> list[ShownQuestion]:
    """The attempt's questions in its stored order; questions removed from the quiz since are left out.

    ``quiz`` may be a translation of the attempt's quiz (``Quiz.in_locale``): the same ids, choice
    keys and order, so the same options with the same ids, in other words. Reading answers and
    grading (``save``, ``submit``) always use the original, whatever language the page was in."""
    secret = bytes.fromhex(attempt.choice_secret)
    shown = []
    for qid in attempt.question_ids:
        question = quiz.question(qid)
        if question is not None:
            shown.append(show(question, len(shown) + 1, secret, quiz.shuffle))
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
        values = item.values([v for v in form.get(name, ()) if v != ""])
        response = item.question.read_response(values)
        if response not in (None, "", frozenset(), {}):
            answers[item.question.id] = item.question.to_json(response)
    return answers


# --- starting, saving, submitting ----------------------------------------------------------------
def quiz_or_error(catalog: Catalog, course_slug: str, module_slug: str) -> Quiz:
    module = catalog.module(course_slug, module_slug)
    if module is None or module.quiz is None:
        raise ServiceError(_("There is no such quiz."))
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


def attempts_used(
    session: Session,
    user_id: int,
    course_slug: str,
    module_slug: str,
    *,
    since: datetime | None = None,
) -> int:
    """Attempts started (since ``since``, when given: an open refresher counts afresh)."""
    query = select(func.count(QuizAttempt.id)).where(
        QuizAttempt.user_id == user_id,
        QuizAttempt.course_slug == course_slug,
        QuizAttempt.module_slug == module_slug,
    )
    if since is not None:
        query = query.where(QuizAttempt.started_at >= since)
    return session.scalar(query)


@dataclass(frozen=True)
class Allowance:
    """A learner's attempts at one quiz: the quiz's limit plus any granted since."""

    used: int  #: attempts started, open or submitted
    limit: int | None  #: the quiz's own limit; ``None``: unlimited
    extra: int  #: attempts granted beyond it by an instructor or administrator

    @property
    def allowed(self) -> int | None:
        return None if self.limit is None else self.limit + self.extra

    @property
    def left(self) -> int | None:
        return None if self.allowed is None else max(0, self.allowed - self.used)

    @property
    def granted(self) -> bool:
        """Is the attempt left one that was granted beyond the quiz's limit?"""
        return (
            self.limit is not None and self.extra > 0 and self.used >= self.limit and self.left > 0
        )


def allowance(
    session: Session, quiz: Quiz, user_id: int, *, now: datetime | None = None
) -> Allowance:
    """The attempts used and allowed. Given ``now``, an open refresher allows the quiz's attempts
    afresh: only attempts started and grants given since it opened count (``renewal``)."""
    since = None
    if now is not None:
        since = renewal.round_start(session, quiz.course_slug, user_id, now=now)
    used = attempts_used(session, user_id, quiz.course_slug, quiz.module_slug, since=since)
    grants = select(func.count(QuizGrant.id)).where(
        QuizGrant.user_id == user_id,
        QuizGrant.course_slug == quiz.course_slug,
        QuizGrant.module_slug == quiz.module_slug,
    )
    if since is not None:
        grants = grants.where(QuizGrant.granted_at >= since)
    return Allowance(used, quiz.attempts, session.scalar(grants))


def grant_attempt(
    session: Session,
    catalog: Catalog,
    learner_id: int,
    course_slug: str,
    module_slug: str,
    *,
    by: int,
    now: datetime,
) -> Allowance:
    """One more attempt for a learner who has used every attempt at a quiz. Audited.

    Whether ``by`` may do this for this learner is decided by ``access.may_grant_attempt``.
    A grant while attempts are left is refused, so a double click grants one attempt, not two.
    """
    quiz = quiz_or_error(catalog, course_slug, module_slug)
    if quiz.attempts is None:
        raise ServiceError(
            _("This quiz allows any number of attempts, so there is nothing to grant.")
        )
    current = allowance(session, quiz, learner_id, now=now)
    if current.left:
        raise ServiceError(_("The learner still has an attempt left at this quiz."))
    grant = QuizGrant(
        user_id=learner_id,
        course_slug=course_slug,
        module_slug=module_slug,
        after_attempts=attempts_used(session, learner_id, course_slug, module_slug),
        granted_by=by,
        granted_at=now,
    )
    try:
        with session.begin_nested():
            session.add(grant)
    except IntegrityError:  # the same grant by another request at the same moment
        raise ServiceError(_("The learner still has an attempt left at this quiz.")) from None
    audit.record(
        session, by, "quiz attempt granted", f"user:{learner_id}", now=now,
        course=course_slug, module=module_slug, after_attempts=current.used,
    )  # fmt: skip
    return Allowance(current.used, current.limit, current.extra + 1)


def start_or_resume(
    session: Session,
    catalog: Catalog,
    user_id: int,
    course_slug: str,
    module_slug: str,
    *,
    now: datetime,
    seed: int | None = None,
    choice_secret: str | None = None,
) -> QuizAttempt:
    """The learner's open attempt at this quiz, or a new one if attempts remain."""
    quiz = quiz_or_error(catalog, course_slug, module_slug)
    existing = open_attempt(session, user_id, course_slug, module_slug)
    if existing is not None:
        return existing
    attempts = allowance(session, quiz, user_id, now=now)
    if attempts.left == 0:
        raise NoAttemptsLeft(
            _(
                "You have used all %(count)d attempts at this quiz. Ask your instructor if you "
                "need another.",
                count=attempts.allowed,
            )
        )
    seed = secrets.randbits(31) if seed is None else seed
    attempt = QuizAttempt(
        user_id=user_id,
        course_slug=course_slug,
        module_slug=module_slug,
        number=attempts_used(session, user_id, course_slug, module_slug) + 1,
        seed=seed,
        choice_secret=choice_secret or new_choice_secret(),
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


#: an idempotency key as pages send it: 16 to 64 letters, digits, "-" or "_"
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_request_key() -> str:
    """The key a quiz page carries for its form (``secrets``: 128 random bits)."""
    return secrets.token_urlsafe(16)


def _claim(session: Session, attempt: QuizAttempt, action: str, key: str | None, now) -> bool:
    """Record ``key`` for this attempt and action; False if it was recorded before (a replay).

    The insert comes first, in a savepoint: of two copies at the same moment the second waits
    for the first's transaction and then finds the key taken."""
    if key is None:
        return True
    if not KEY_RE.match(key):
        raise ServiceError(_("This form is damaged. Reload the page and try again."))
    try:
        with session.begin_nested():
            session.add(QuizRequest(attempt_id=attempt.id, action=action, key=key, at=now))
    except IntegrityError:
        return False
    return True


def save(
    session: Session,
    catalog: Catalog,
    attempt: QuizAttempt,
    form,
    *,
    now: datetime,
    key: str | None = None,
) -> bool:
    """Keep the answers so far without grading (for a dropped connection or a later visit).

    Returns False, changing nothing, for a replay of a save already carried out with ``key``."""
    if not _claim(session, attempt, "save", key, now):
        return False
    if not attempt.is_open:
        raise AlreadySubmitted(_("This attempt was already submitted; its answers cannot change."))
    quiz = quiz_or_error(catalog, attempt.course_slug, attempt.module_slug)
    answers = read_answers(quiz, attempt, form)
    changed = session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.submitted_at.is_(None))
        .values(responses=answers, saved_at=now)
        .returning(QuizAttempt.id)
    ).first()
    if changed is None:
        raise AlreadySubmitted(_("This attempt was already submitted; its answers cannot change."))
    session.expire(attempt)
    return True


@dataclass(frozen=True)
class Outcome:
    score: int
    passed: bool
    marks: dict[str, float]
    certificate: Certificate | None = None  #: issued or renewed by this pass
    replayed: bool = False  #: the grade of an earlier submission with the same key


def marks_of(quiz: Quiz, attempt, answers: Mapping[str, Any]) -> dict[str, float]:
    """Each of the attempt's questions' score, 0 to 1 (unanswered: 0). ``attempt`` is a quiz
    attempt or anything with its ``question_ids`` and ``choice_secret`` (a pre-test)."""
    return {
        s.question.id: s.question.grade(s.question.from_json(answers.get(s.question.id))).score
        for s in shown_questions(quiz, attempt)
    }


def grade(quiz: Quiz, attempt: QuizAttempt, answers: Mapping[str, Any]) -> Outcome:
    """Score 0-100 over the attempt's questions; unanswered questions score zero."""
    marks = marks_of(quiz, attempt, answers)
    score = round(100 * sum(marks.values()) / len(marks)) if marks else 0
    return Outcome(score, score >= attempt.pass_mark, marks)


def submit(
    session: Session,
    catalog: Catalog,
    attempt: QuizAttempt,
    form,
    *,
    now: datetime,
    issuer: certificates.Issuer,
    key: str | None = None,
) -> Outcome:
    """Grade the attempt once. A second submission is refused and changes nothing, unless it
    carries the first one's ``key``: then it is answered with the first one's grade
    (``Outcome.replayed``). A pass that completes the course (or an open refresher) issues the
    certificate in the same transaction: ``Outcome.certificate``."""
    if not _claim(session, attempt, "submit", key, now):
        session.refresh(attempt)  # the first submission's grade, committed before the key was
        if attempt.is_open:  # pragma: no cover - the key and the grade commit together
            raise AlreadySubmitted(_("This attempt was already submitted; it is not graded again."))
        return Outcome(
            attempt.score, bool(attempt.passed), dict(attempt.marks or {}), replayed=True
        )
    if not attempt.is_open:
        raise AlreadySubmitted(_("This attempt was already submitted; it is not graded again."))
    quiz = quiz_or_error(catalog, attempt.course_slug, attempt.module_slug)
    answers = read_answers(quiz, attempt, form)
    if not answers:
        raise ServiceError(_("You have not answered any question yet."))
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
        raise AlreadySubmitted(_("This attempt was already submitted; it is not graded again."))
    session.expire(attempt)
    if outcome.passed:
        issued = completion.after_progress(
            session, catalog, issuer, attempt.user_id, attempt.course_slug, now=now
        )
        if issued is not None:
            outcome = dataclasses.replace(outcome, certificate=issued)
    return outcome


# --- results ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModuleResult:
    attempts: int  #: submitted attempts
    best_score: int | None
    passed: bool
    open_attempt: bool


def results_of(
    session: Session, course_slug: str, user_ids: Sequence[int], *, among: Select | None = None
) -> dict[int, dict[str, ModuleResult]]:
    """{learner: {module: result}} for every module of the course each learner has started a quiz
    in: submitted attempts, best score, passed (any attempt at the mark). One query for them all;
    ``among`` as in ``ledger.hours_for_learners``."""
    found: dict[int, dict[str, ModuleResult]] = {user_id: {} for user_id in user_ids}
    if not user_ids:
        return found
    rows = session.execute(
        select(
            QuizAttempt.user_id,
            QuizAttempt.module_slug,
            func.count(QuizAttempt.submitted_at),
            func.max(QuizAttempt.score),
            func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)),
            func.count(QuizAttempt.id) - func.count(QuizAttempt.submitted_at),
        )
        .where(
            QuizAttempt.course_slug == course_slug,
            QuizAttempt.user_id.in_(among if among is not None else user_ids),
        )
        .group_by(QuizAttempt.user_id, QuizAttempt.module_slug)
    ).all()
    for user_id, module, done, best, passed, open_count in rows:
        if user_id in found:
            found[user_id][module] = ModuleResult(int(done), best, bool(passed), bool(open_count))
    return found


def passed_of_learners(
    session: Session, course, among: Select
) -> dict[int, tuple[frozenset[str], frozenset[str]]]:
    """{learner: (modules passed, modules attempted)} of every learner ``among`` (a query of user
    ids) who has started a quiz of the course: one row a learner, summed in the database (each
    module a bit, ``ledger.module_bits``). "Passed" and "attempted" as in ``results_of``."""
    per_module = (
        select(
            QuizAttempt.user_id,
            QuizAttempt.module_slug,
            func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)).label("passed"),
        )
        .where(QuizAttempt.course_slug == course.slug, QuizAttempt.user_id.in_(among))
        .group_by(QuizAttempt.user_id, QuizAttempt.module_slug)
        .subquery()
    )
    bit = ledger.module_bits(course, per_module.c.module_slug)
    rows = session.execute(
        select(
            per_module.c.user_id,
            func.sum(case((per_module.c.passed == 1, bit), else_=0)),
            func.sum(bit),
        ).group_by(per_module.c.user_id)
    )
    return {
        user_id: (ledger.modules_in(course, passed), ledger.modules_in(course, attempted))
        for user_id, passed, attempted in rows
    }


def results(session: Session, user_id: int, course_slug: str) -> dict[str, ModuleResult]:
    """Per module of the course, for one learner: see ``results_of``."""
    return results_of(session, course_slug, [user_id])[user_id]


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
        raise ServiceError(_("The answers are shown once the attempt is submitted."))
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
