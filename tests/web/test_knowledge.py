"""The pre-test and post-test (once each, the pre-test before the first lesson, no answers shown,
never counting toward the certificate), the course evaluation (once, from the last module), and
the optional questions on sex, age band and role."""

from __future__ import annotations

from datetime import date

from flask import current_app

from lms.extensions import db
from lms.models.figures import CourseEvaluation, KnowledgeTest
from lms.models.hours import LessonCredit
from lms.models.users import User
from lms.services import certificates, knowledge
from tests.conftest import soup
from tests.factories import enrol, make_certificate, make_user


def _answers_all_right(test: KnowledgeTest) -> dict:
    """The form a learner who knows every answer sends (ids from the page)."""
    from lms.services import quizzes

    quiz = current_app.extensions["lms.catalog"].course("demo").knowledge_test
    form = {}
    for shown in quizzes.shown_questions(quiz, test):
        q = shown.question
        full = q.full_marks()
        if shown.free_text:
            form[shown.field] = [full]
        elif shown.rows:
            pairs = {f"{k}:{v}" for k, v in full.items()}
            form[shown.field] = [o.id for row in shown.rows for o in row.options
                                 if f"{row.key}:{o.key}" in pairs]  # fmt: skip
        else:
            keys = {"true" if full is True else "false"} if isinstance(full, bool) else (
                set(full) if isinstance(full, frozenset | set | list) else {full})  # fmt: skip
            form[shown.field] = [o.id for o in shown.options if o.key in keys]
    return form


def _read_everything(user) -> None:
    for module, lesson, seconds in (("01-basics", "welcome", 720), ("01-basics", "next-steps", 480),
                                    ("02-practice", "try-it", 600)):  # fmt: skip
        db.session.add(LessonCredit(user_id=user.id, course_slug="demo", module_slug=module,
                                    lesson_key=f"demo/{module}/{lesson}", day=date(2026, 3, 2),
                                    seconds=seconds))  # fmt: skip
    db.session.commit()


def test_enrolling_offers_the_pre_test_which_is_taken_once_without_answers(client, login_as, app):
    learner = make_user()
    login_as(learner)
    response = client.post("/courses/demo/enrol")
    course = soup(client.get(response.headers["Location"])).select_one("section.knowledge")
    assert "take it before your first lesson" in course.get_text()
    page = soup(client.get("/courses/demo/pre-test"))
    assert page.find("button", string="Start the test")
    started = client.post("/courses/demo/pre-test")
    assert started.status_code == 302
    test = db.session.query(KnowledgeTest).one()
    take = soup(client.get(started.headers["Location"]))
    assert len(take.select("fieldset.question")) == 6  # every question of the demo quizzes
    assert client.post("/courses/demo/pre-test").headers["Location"] == started.headers["Location"]
    done = client.post(f"/tests/{test.id}", data=_answers_all_right(test))
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(KnowledgeTest, test.id).score == 100
    after = client.get(done.headers["Location"])
    text = soup(after).select_one("main").get_text()
    assert "your score was 100%" in text
    assert "Correct answer" not in text and not soup(after).select(".feedback")
    assert client.get(f"/tests/{test.id}").status_code == 302  # no review of a taken test
    assert client.post("/courses/demo/pre-test").status_code == 409
    assert client.post(f"/tests/{test.id}", data=_answers_all_right(test)).status_code == 409
    # it counts toward nothing: no certificate, no quiz passed
    status = certificates.eligibility(db.session, app.extensions["lms.catalog"].course("demo"),
                                      learner.id)  # fmt: skip
    assert not status.eligible and status.hours.credited_seconds == 0


def test_the_pre_test_closes_once_the_course_is_started(client, login_as, app):
    learner = make_user()
    enrol(learner)
    login_as(learner)
    client.post("/courses/demo/pre-test")
    test = db.session.query(KnowledgeTest).one()
    db.session.add(LessonCredit(user_id=learner.id, course_slug="demo", module_slug="01-basics",
                                lesson_key="demo/01-basics/welcome", day=date(2026, 3, 2),
                                seconds=30))  # fmt: skip
    db.session.commit()
    response = client.post(f"/tests/{test.id}", data=_answers_all_right(test))
    assert response.status_code == 400
    assert "closed" in soup(response).select_one(".form-errors").get_text()
    db.session.expire_all()
    assert db.session.get(KnowledgeTest, test.id).submitted_at is None
    assert "closed" in soup(client.get("/courses/demo/pre-test")).select_one(".notice").get_text()
    assert client.post("/courses/demo/pre-test").status_code == 409


def test_the_post_test_opens_after_the_last_module_and_shows_the_gain(client, login_as, app):
    learner = make_user()
    enrol(learner)
    login_as(learner)
    client.post("/courses/demo/pre-test")
    pre = db.session.query(KnowledgeTest).one()
    half = dict(list(_answers_all_right(pre).items())[:3])  # three of six answered
    assert client.post(f"/tests/{pre.id}", data=half).status_code == 302
    assert client.post("/courses/demo/post-test").status_code == 409  # not finished yet
    _read_everything(learner)
    assert client.post("/courses/demo/post-test").status_code == 302
    post = db.session.query(KnowledgeTest).filter_by(kind="post").one()
    assert sorted(post.question_ids) == sorted(pre.question_ids)  # the same questions
    client.post(f"/tests/{post.id}", data=_answers_all_right(post))
    db.session.expire_all()
    status = knowledge.status(db.session, app.extensions["lms.catalog"].course("demo"), learner.id)
    assert (status.pre.score, status.post.score, status.gain) == (50, 100, 50)
    course_page = soup(client.get("/courses/demo")).select_one("section.knowledge").get_text()
    assert "taken, 100%" in course_page


def test_the_evaluation_opens_on_the_last_module_once(client, login_as, app):
    learner = make_user()
    enrol(learner)
    login_as(learner)
    ratings = {"satisfaction": "5", "usefulness": "4", "confidence_before": "2",
               "confidence_after": "4", "improve": "More cases from Sindh"}  # fmt: skip
    assert client.post("/courses/demo/evaluation", data=ratings).status_code == 409
    make_certificate(learner)
    assert client.post("/courses/demo/evaluation", data={"satisfaction": "9"}).status_code == 400
    assert db.session.query(CourseEvaluation).count() == 0
    assert client.post("/courses/demo/evaluation", data=ratings).status_code == 302
    assert client.post("/courses/demo/evaluation", data=ratings).status_code == 409
    evaluation = db.session.query(CourseEvaluation).one()
    assert (evaluation.satisfaction, evaluation.improve) == (5, "More cases from Sindh")


def test_registration_asks_the_three_questions_and_stores_the_answers(client, app):
    form = {"full_name": "Amina Khan", "email": "amina@example.org",
            "password": "a long enough password", "confirm": "a long enough password",
            "organisation_type": "ngo", "province": "Sindh", "sex": "female",
            "age_band": "25-34", "work_role": ""}  # fmt: skip
    page = soup(client.get("/register"))
    assert page.select_one("#sex-hint").get_text().startswith("Optional.")
    assert client.post("/register", data=form).status_code == 302
    person = db.session.query(User).filter_by(email="amina@example.org").one()
    assert (person.sex, person.age_band, person.work_role) == ("female", "25-34", None)
    assert person.demographics_asked_at is not None
    assert client.post("/register", data={**form, "email": "b@example.org",
                                          "sex": "robot"}).status_code == 400  # fmt: skip


def test_an_older_account_is_asked_once_on_its_dashboard_and_may_decline(client, login_as, app):
    person = make_user()
    login_as(person)
    assert soup(client.get("/dashboard")).select_one("section.ask-demographics")
    response = client.post("/account/demographics", data={"decline": "No, thank you"})
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.demographics_asked_at is not None and person.sex is None
    assert not soup(client.get("/dashboard")).select_one("section.ask-demographics")
    other = make_user()
    login_as(other)
    client.post("/account/demographics", data={"sex": "male", "work_role": "police",
                                               "save": "Save my answers"})  # fmt: skip
    db.session.refresh(other)
    assert (other.sex, other.work_role, other.age_band) == ("male", "police", None)
    assert client.post("/account/demographics", data={"sex": "x"}).status_code == 400


def test_own_records_hold_the_tests_and_evaluation_and_erasure_clears_the_text(app):
    from lms.services import erasure, records
    from tests.factories import NOW

    person = make_user(sex="female")
    enrol(person)
    db.session.add_all([
        KnowledgeTest(user_id=person.id, course_slug="demo", kind="pre", seed=1,
                      choice_secret="c" * 64, question_ids=[], content_version="x",
                      started_at=NOW, submitted_at=NOW, responses={}, score=40),
        CourseEvaluation(user_id=person.id, course_slug="demo", satisfaction=4, usefulness=5,
                         confidence_before=2, confidence_after=4, improve="Call me, Amina",
                         comments="", submitted_at=NOW),
    ])  # fmt: skip
    db.session.commit()
    tables = {t.name: t.as_dicts() for t in records.gather(db.session, person, now=NOW).tables}
    assert tables["knowledge_tests"][0]["score"] == 40
    assert tables["evaluations"][0]["improve"] == "Call me, Amina"
    assert ("sex", "female") in records.gather(db.session, person, now=NOW).tables[0].rows
    admin = make_user(role="admin")
    erasure.erase(db.session, person, reason="asked by letter", withdraw_certificates=False,
                  by=admin.id, now=NOW)  # fmt: skip
    db.session.commit()
    evaluation = db.session.query(CourseEvaluation).one()
    assert (evaluation.improve, evaluation.satisfaction) == ("", 4)
