"""The police course in Urdu, in Chromium at phone width: a cadet reads a Juvenile Justice lesson
in Urdu, switches to English in the middle of the module and back without losing time, and takes
the module's quiz in Urdu to the end (graded on the English key)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from lms.config import ROOT
from lms.extensions import db
from lms.models.quizzes import QuizAttempt
from tests.e2e.test_urdu_pages import _browser_page
from tests.factories import enrol, make_user

LESSON = "/courses/juvenile-justice/01-child-rights-and-police/why-children-are-different"
QUIZ = "/courses/juvenile-justice/01-child-rights-and-police/quiz"


@pytest.fixture
def app_config() -> dict:
    return {"LMS_CONTENT_DIR": str(ROOT)}  # the shipped courses, with their Urdu translations


def test_a_cadet_reads_and_takes_the_quiz_of_the_police_course_in_urdu(
    app, live_server: str, browser: Browser
):
    cadet = make_user(full_name="عمران علی", organisation_type="police")
    enrol(cadet, "juvenile-justice")
    page = _browser_page(browser, live_server, app, cadet, "ur")
    page.goto(live_server + LESSON)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_contain_text("بچوں کے حقوق")
    expect(page.locator(".prose")).to_have_attribute("lang", "ur")
    expect(page.locator(".untranslated")).to_have_count(0)

    # English in the middle of the module, then Urdu again: the same lesson, the same address
    page.locator("form.language-switch button[value=en]").click()
    expect(page).to_have_url(live_server + LESSON)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("form.language-switch button[value=ur]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ur")

    page.goto(live_server + QUIZ)
    page.locator("form[action$='/quiz/start'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/quiz/attempts/\d+"))
    questions = page.locator("form.quiz fieldset.question")
    assert questions.count() > 5
    answer_each(questions)
    page.locator("form.quiz button[value=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("html")).to_have_attribute("lang", "ur")
    attempt = db.session.query(QuizAttempt).filter_by(user_id=cadet.id).one()
    assert attempt.submitted_at is not None and attempt.score is not None
    page.context.close()


def answer_each(questions) -> None:
    """The first offered choice of each question, a word in Urdu, or each menu's first option."""
    for i in range(questions.count()):
        question = questions.nth(i)
        if question.locator("input[type=radio], input[type=checkbox]").count():
            question.locator("input[type=radio], input[type=checkbox]").first.check()
        elif question.locator("input[type=text]").count():
            question.locator("input[type=text]").fill("دس")
        else:
            for menu in question.locator("select").all():
                menu.select_option(index=1)
