"""One more quiz attempt: granted by an instructor of the learner's cohort (or an administrator),
audited, shown to the learner, and refused to anyone else or while attempts are left."""

from __future__ import annotations

import pytest

from lms.extensions import db
from lms.models.cohorts import AuditEvent
from lms.models.quizzes import QuizAttempt, QuizGrant
from lms.services import ServiceError, quizzes
from tests.conftest import soup
from tests.factories import NOW, make_cohort

LIMITED = "/courses/demo/02-practice/quiz"  #: two attempts allowed


def grant_url(learner, module: str = "02-practice") -> str:
    return f"/teach/courses/demo/learners/{learner.id}/quizzes/{module}/attempts"


def use_attempts(learner, count: int, module: str = "02-practice") -> None:
    for number in range(1, count + 1):
        db.session.add(
            QuizAttempt(
                user_id=learner.id,
                course_slug="demo",
                module_slug=module,
                number=number,
                seed=1,
                question_ids=["p-1"],
                pass_mark=50,
                content_version="x",
                started_at=NOW,
                submitted_at=NOW,
                responses={"p-1": "1"},
                marks={"p-1": 0.0},
                score=0,
                passed=False,
            )  # fmt: skip
        )
    db.session.commit()


@pytest.fixture
def taught(instructor, learner):
    """The learner, in the instructor's cohort, with both attempts at the limited quiz used."""
    make_cohort(instructor, [learner])
    use_attempts(learner, 2)
    return learner


def text(tag) -> str:
    return " ".join(tag.get_text(" ", strip=True).split())


def test_an_instructor_grants_one_more_attempt_and_the_learner_sees_it(
    client, instructor, taught, login_as
):
    login_as(instructor)
    page = soup(client.get(f"/teach/courses/demo/learners/{taught.id}"))
    line = page.select_one("#allowance-02-practice")
    assert text(line).startswith("Module 2 quiz: 2 of 2 attempts used.")
    form = line.select_one("form")
    assert form["action"] == grant_url(taught) and form.select_one("input[name=csrf_token]")
    assert page.select_one("#allowance-01-basics") is None  # unlimited: nothing to grant

    response = client.post(grant_url(taught))
    assert response.status_code == 302
    page = soup(client.get(response.headers["Location"]))
    assert "may take the Module 2 quiz once more" in page.select_one(".flash").get_text()
    line = page.select_one("#allowance-02-practice")
    assert text(line) == "Module 2 quiz: 2 of 3 attempts used (2 allowed by the quiz, 1 granted)."
    assert line.select_one("form") is None

    event = db.session.query(AuditEvent).one()
    assert (event.actor_id, event.action, event.target) == (
        instructor.id, "quiz attempt granted", f"user:{taught.id}"
    )  # fmt: skip
    assert event.details == {"course": "demo", "module": "02-practice", "after_attempts": 2}

    login_as(taught)
    overview = soup(client.get(LIMITED))
    assert text(overview.select_one(".granted")) == (
        "Your instructor has allowed you one more attempt."
    )
    facts = [text(li) for li in overview.select("ul.facts li")]
    assert "Attempts allowed: 3 (1 left)." in facts
    assert overview.find("button", string="Try again")
    response = client.post(f"{LIMITED}/start")
    assert response.status_code == 302
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert db.session.get(QuizAttempt, attempt_id).number == 3
    assert soup(client.get(LIMITED)).select_one(".granted") is None  # in use now
    choice = soup(client.get(f"/quiz/attempts/{attempt_id}")).select_one("input[name=q-p-1]")
    data = {"action": "submit", "q-p-1": choice["value"]}
    assert client.post(f"/quiz/attempts/{attempt_id}", data=data).status_code == 302
    after = soup(client.get(LIMITED))
    assert after.select_one(".granted") is None
    assert "used every attempt" in after.get_text()
    assert client.post(f"{LIMITED}/start").status_code == 409


def test_a_second_grant_while_one_is_unused_is_refused(client, instructor, taught, login_as):
    login_as(instructor)
    assert client.post(grant_url(taught)).status_code == 302
    response = client.post(grant_url(taught))  # a double click
    assert response.status_code == 409
    assert "still has an attempt left" in soup(response).select_one("main").get_text()
    assert db.session.query(QuizGrant).count() == 1
    assert db.session.query(AuditEvent).count() == 1


def test_nothing_to_grant_while_attempts_are_left_or_without_a_limit(
    client, instructor, learner, login_as
):
    make_cohort(instructor, [learner])
    use_attempts(learner, 1)
    login_as(instructor)
    assert client.post(grant_url(learner)).status_code == 409
    unlimited = client.post(grant_url(learner, "01-basics"))
    assert unlimited.status_code == 409
    assert "any number of attempts" in soup(unlimited).select_one("main").get_text()
    assert client.post(grant_url(learner, "99-none")).status_code == 404
    assert client.post(grant_url(learner).replace("/demo/", "/nope/")).status_code == 404
    assert db.session.query(QuizGrant).count() == 0
    assert db.session.query(AuditEvent).count() == 0


def test_only_the_learners_instructors_and_administrators_may_grant(
    client, taught, make_user, login_as
):
    other = make_user(role="instructor")
    make_cohort(other, [make_user()])  # teaches the course, but not this learner
    login_as(other)
    assert client.post(grant_url(taught)).status_code == 404
    assert client.get(f"/teach/courses/demo/learners/{taught.id}").status_code == 404
    login_as(taught)
    assert client.post(grant_url(taught)).status_code == 403
    assert client.post(grant_url(taught), csrf=False).status_code == 400  # CSRF is checked first
    assert db.session.query(QuizGrant).count() == 0

    login_as(make_user(role="admin"))  # no cohort of their own
    assert client.post(grant_url(taught), csrf=False).status_code == 400
    assert db.session.query(QuizGrant).count() == 0
    assert client.post(grant_url(taught)).status_code == 302
    assert db.session.query(QuizGrant).count() == 1


def test_two_grants_at_the_same_moment_make_one(app, instructor, taught, monkeypatch):
    catalog = app.extensions["lms.catalog"]
    quizzes.grant_attempt(
        db.session, catalog, taught.id, "demo", "02-practice", by=instructor.id, now=NOW
    )
    # The other request read the allowance before the first grant was written.
    monkeypatch.setattr(quizzes, "allowance", lambda *args, **kwargs: quizzes.Allowance(2, 2, 0))
    with pytest.raises(ServiceError):
        quizzes.grant_attempt(
            db.session, catalog, taught.id, "demo", "02-practice", by=instructor.id, now=NOW
        )
    db.session.commit()
    assert db.session.query(QuizGrant).count() == 1
    assert db.session.query(AuditEvent).count() == 1
