"""The main journey in Urdu, in Chromium, in one go: a visitor switches to Urdu, registers, enrols in
the CPSA course, reads its translated lesson (module 1, lesson 2), takes the module's quiz in Urdu,
and, once the remaining hours and quizzes are credited through the services (as the certificate
test does), downloads the certificate in Urdu. Every page on the way says ``lang="ur" dir="rtl"``
and passes axe-core at 360 px and at desktop width.
"""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from playwright.sync_api import Browser, Page, expect

from lms.config import ROOT
from lms.extensions import db
from lms.models.hours import HoursAdjustment
from lms.models.quizzes import QuizAttempt
from lms.models.users import User
from lms.services import certificates, clock
from tests.e2e.test_browser import _assert_accessible
from tests.e2e.test_urdu_police_course import answer_each
from tests.pdftext import missing_urdu
from tests.services.test_certificates import ISSUER

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
EMAIL = "nargis@example.org"
PASSWORD = "a long enough password"
COURSE = "/courses/cpsa"
LESSON = "/courses/cpsa/01-understanding-abuse/forms-of-harm"  # translated: 02-forms-of-harm.ur.md
QUIZ = "/courses/cpsa/01-understanding-abuse/quiz"


@pytest.fixture
def app_config() -> dict:
    return {"LMS_CONTENT_DIR": str(ROOT)}  # the shipped courses, with their Urdu translations


def rtl_page(page: Page, name: str, visited: list[str]) -> None:
    """The page is in Urdu, right to left, and axe-clean on a phone and on a desktop screen."""
    expect(page.locator("html")).to_have_attribute("lang", "ur")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        _assert_accessible(page, f"{name} at {size['width']} px")
    page.set_viewport_size(PHONE)
    visited.append(name)


def credit_the_rest(app, user_id: int) -> None:
    """Every module's hours and a passed quiz for each, straight into the records the services read
    (the certificate test's fixtures, for the shipped course): what weeks of reading would give."""
    course = app.extensions["lms.catalog"].course("cpsa")
    now = clock.now()
    for module in course.modules:
        db.session.add(HoursAdjustment(user_id=user_id, course_slug="cpsa", module_slug=module.slug,
                                       minutes=module.minutes, reason="e2e", created_by=user_id,
                                       created_at=now))  # fmt: skip
        number = db.session.query(QuizAttempt).filter_by(user_id=user_id,
                                                         module_slug=module.slug).count() + 1  # fmt: skip
        db.session.add(QuizAttempt(user_id=user_id, course_slug="cpsa", module_slug=module.slug,
                                   number=number, seed=1, question_ids=[], pass_mark=70,
                                   content_version="e2e", started_at=now, submitted_at=now,
                                   responses={}, marks={}, score=90, passed=True))  # fmt: skip
    db.session.commit()


def test_the_main_journey_in_urdu(app, live_server: str, browser: Browser):
    visited: list[str] = []
    context = browser.new_context(viewport=PHONE, locale="en-GB", accept_downloads=True)
    page = context.new_page()

    # a visitor on an English first visit switches to Urdu
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("form.language-switch button[value=ur]").click()
    page.wait_for_load_state()
    rtl_page(page, "home", visited)

    # registers (the form's labels are Urdu: the fields by their ids), then logs in
    page.goto(live_server + "/register")
    rtl_page(page, "register", visited)
    page.locator("#full_name").fill("نرگس بی بی")
    page.locator("#email").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.locator("#organisation_type").select_option(index=1)
    page.locator("#organisation").fill("Sahil")
    page.locator("#job_title").fill("سوشل ورکر")
    page.locator("#province").select_option("Sindh")
    page.locator("#district").fill("حیدرآباد")
    page.locator("form.stack [type=submit]").click()
    expect(page.locator(".flash")).to_be_visible()
    rtl_page(page, "log in", visited)
    page.locator("#email").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(f"{live_server}/dashboard")
    rtl_page(page, "dashboard", visited)  # the choice made as a visitor survives the login
    user = db.session.query(User).filter_by(email=EMAIL).one()
    user_id, locale = user.id, user.locale
    db.session.rollback()  # SQLite: no read transaction left open while the server writes
    assert locale == "ur"

    # enrols in CPSA: the course page names the modules in Urdu
    page.goto(live_server + COURSE)
    page.locator(f"form[action='{COURSE}/enrol'] button[type=submit]").click()
    expect(page.locator(".flash")).to_be_visible()
    expect(page.locator("li.module h3").first).to_have_text(
        "ماڈیول 1: بچوں سے بدسلوکی کو سمجھنا اور کارکن کا کردار"
    )
    rtl_page(page, "course", visited)

    # reads the translated lesson, in Urdu, with no note that it is English
    page.goto(live_server + LESSON)
    expect(page.locator(".prose")).to_have_attribute("lang", "ur")
    expect(page.get_by_role("heading", level=1)).to_have_text("نقصان کی اقسام اور ان کی علامات")
    expect(page.locator(".untranslated")).to_have_count(0)
    expect(page.locator("article .meta")).to_contain_text("ماڈیول 1: بچوں سے بدسلوکی")
    rtl_page(page, "lesson", visited)

    # takes the module's quiz (translated): the first choice of each question, submitted
    page.goto(live_server + QUIZ)
    expect(page.locator(".untranslated")).to_have_count(0)
    rtl_page(page, "quiz overview", visited)
    page.locator("form[action$='/quiz/start'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/quiz/attempts/\d+"))
    rtl_page(page, "quiz", visited)
    questions = page.locator("form.quiz fieldset.question")
    answer_each(questions)
    page.locator("form.quiz button[value=submit]").click()
    expect(page.locator("ol.review")).to_be_visible()
    rtl_page(page, "quiz review", visited)
    attempt = db.session.query(QuizAttempt).filter_by(user_id=user_id).one()
    assert attempt.submitted_at is not None and attempt.score is not None
    db.session.rollback()

    # the rest of the course credited through the services; the certificate issued
    credit_the_rest(app, user_id)
    app.config["LMS_PUBLIC_URL"] = live_server
    certificates.issue(db.session, app.extensions["lms.catalog"], ISSUER, user_id, "cpsa",
                       now=clock.now())  # fmt: skip
    db.session.commit()
    page.goto(live_server + "/certificates")
    rtl_page(page, "my certificates", visited)

    # downloads it in Urdu: the Urdu wording, the name, the Urdu course and module titles
    with page.expect_download() as download:
        page.locator("p.downloads a[lang=ur]").click()
    assert download.value.suggested_filename.endswith("-ur.pdf")
    text = pypdf.PdfReader(io.BytesIO(download.value.path().read_bytes())).pages[0].extract_text()
    for line in ("سندِ تکمیل", "نرگس بی بی", "بچوں کے تحفظ اور حفاظت سے آگاہی",
                 "ماڈیول 7: نفسیاتی و جذباتی ابتدائی مدد"):  # fmt: skip
        assert missing_urdu(text, line) == "", line
    assert "Understanding child abuse" not in text

    assert visited == ["home", "register", "log in", "dashboard", "course", "lesson",
                       "quiz overview", "quiz", "quiz review", "my certificates"]  # fmt: skip
    context.close()
