"""``quizzes.save`` and ``quizzes.submit`` with an idempotency key: carried out once per attempt,
action and key, also for two copies arriving at the same moment (on PostgreSQL, two transactions)."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from lms.extensions import db
from lms.models.quizzes import QuizAttempt, QuizRequest
from lms.services import ServiceError, quizzes
from lms.web.certificates import issuer
from tests.factories import NOW, enrol
from tests.web.test_quiz import browser_form

KEY = "offline-queued-submit-1"


def _attempt(app, learner):
    enrol(learner, "demo")
    catalog = app.extensions["lms.catalog"]
    attempt = quizzes.start_or_resume(db.session, catalog, learner.id, "demo", "01-basics", now=NOW)
    db.session.commit()
    quiz = catalog.module("demo", "01-basics").quiz
    return catalog, attempt, browser_form(quiz, attempt, {"q-single": ["0"]})


def test_a_replayed_submission_returns_the_first_grade(app, learner):
    catalog, attempt, form = _attempt(app, learner)
    with app.test_request_context():
        first = quizzes.submit(
            db.session, catalog, attempt, form, now=NOW, issuer=issuer(), key=KEY
        )
        db.session.commit()
        again = quizzes.submit(
            db.session, catalog, attempt, form, now=NOW, issuer=issuer(), key=KEY
        )
    assert not first.replayed and again.replayed
    assert (again.score, again.passed, again.marks) == (first.score, first.passed, first.marks)
    assert db.session.query(QuizRequest).count() == 1


def test_a_new_key_on_a_graded_attempt_is_refused(app, learner):
    catalog, attempt, form = _attempt(app, learner)
    with app.test_request_context():
        quizzes.submit(db.session, catalog, attempt, form, now=NOW, issuer=issuer(), key=KEY)
        db.session.commit()
        try:
            quizzes.submit(db.session, catalog, attempt, form, now=NOW, issuer=issuer(),
                           key="another-key-0000001")  # fmt: skip
        except quizzes.AlreadySubmitted:
            db.session.rollback()
        else:  # pragma: no cover
            raise AssertionError("graded twice")
    assert db.session.query(QuizRequest).count() == 1


def test_a_malformed_key_is_refused(app, learner):
    catalog, attempt, form = _attempt(app, learner)
    with app.test_request_context():
        for key in ("", "short", "x" * 65, "sp ace-and-more-chars"):
            try:
                quizzes.save(db.session, catalog, attempt, form, now=NOW, key=key)
            except ServiceError:
                db.session.rollback()
            else:  # pragma: no cover
                raise AssertionError(key)


def test_two_copies_at_the_same_moment_grade_once(app, learner):
    catalog, attempt, form = _attempt(app, learner)
    attempt_id = attempt.id
    db.session.commit()  # the test's own session holds no lock while the two run
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def submit_once():
        try:
            with app.app_context(), app.test_request_context(), Session(db.engine) as session:
                barrier.wait()  # before the first statement: on SQLite it takes the write lock
                mine = session.get(QuizAttempt, attempt_id)
                outcomes.append(
                    quizzes.submit(session, catalog, mine, form, now=NOW, issuer=issuer(), key=KEY)
                )
                session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=submit_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert sorted(o.replayed for o in outcomes) == [False, True]
    assert len({o.score for o in outcomes}) == 1
    db.session.expire_all()
    assert db.session.query(QuizRequest).count() == 1
    assert db.session.get(QuizAttempt, attempt_id).submitted_at is not None
