"""A learner registers, enrols and reads a lesson in Chromium; every page type passes axe-core."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, enrol, make_user

SERIOUS = {"serious", "critical"}


def register(page: Page, base: str, email: str = "amina@example.org") -> None:
    page.goto(f"{base}/register")
    page.get_by_label("Full name").fill("Amina Khan")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_label("Password again").fill("a long enough password")
    page.get_by_label("Organisation type").select_option(label="NGO or community organisation")
    page.get_by_label("Organisation name").fill("Sahil Community Group")
    page.get_by_label("Job title").fill("Outreach worker")
    page.get_by_label("Province or territory").select_option("Sindh")
    page.get_by_label("District").fill("Hyderabad")
    page.get_by_role("button", name="Create account").click()
    # The same answer as for an address that already has an account: log in next.
    expect(page.locator(".flash")).to_contain_text("Log in with your e-mail address")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()


def test_register_enrol_and_read_a_lesson(page: Page, live_server: str):
    register(page, live_server)
    expect(page).to_have_url(f"{live_server}/dashboard")
    page.goto(f"{live_server}/courses")
    page.get_by_role("link", name="Demo Course").click()
    page.get_by_role("button", name="Enrol in this course").click()
    expect(page.locator(".flash")).to_contain_text("You are enrolled in Demo Course")
    page.get_by_role("link", name="Start reading").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome")
    page.get_by_role("link", name=re.compile("Next steps")).last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Next steps")
    page.goto(f"{live_server}/dashboard")
    expect(page.locator(".enrolled")).to_contain_text("Demo Course")


def test_log_out_and_in_again(page: Page, live_server: str):
    register(page, live_server, "bilal@example.org")
    _log_out(page)
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("bilal@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".form-errors")).to_be_visible()
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server}/dashboard")


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile("/login"))


def _log_out(page: Page) -> None:
    """Log out and wait until it is done: the page's script first forgets the saved lessons, then
    sends the form, so going elsewhere at once could leave the session open."""
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


ANONYMOUS_PAGES = [
    "/",
    "/courses",
    "/courses/demo",
    "/register",
    "/login",
    "/forgot",
    "/welcome",
    "/welcome?code=7KQM",
    "/no-such-page",
]
LEARNER_PAGES = [
    "/dashboard",
    "/account",
    "/account/password",
    "/courses/demo",
    "/courses/demo/01-basics/welcome",
    "/courses/demo/02-practice/try-it",
]


def _assert_accessible(page: Page, url: str) -> None:
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
    assert not serious, f"{url}:\n" + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in serious
    )


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_public_pages_are_accessible(page: Page, live_server: str, path: str):
    page.goto(live_server + path)
    _assert_accessible(page, path)


def test_learner_pages_are_accessible(page: Page, live_server: str):
    learner = make_user(email="reader@example.org")
    enrol(learner, "demo")
    _log_in(page, live_server, "reader@example.org")
    for path in LEARNER_PAGES:
        page.goto(live_server + path)
        _assert_accessible(page, path)


def test_not_enrolled_page_and_form_errors_are_accessible(page: Page, live_server: str):
    make_user(email="stranger@example.org")
    _log_in(page, live_server, "stranger@example.org")
    page.goto(f"{live_server}/courses/demo/01-basics/welcome")
    expect(page.get_by_role("heading", level=1)).to_contain_text("not enrolled")
    _assert_accessible(page, "not enrolled")
    page.goto(f"{live_server}/account/password")
    page.get_by_role("button", name="Change password").click()
    _assert_accessible(page, "password form with errors")


def test_no_console_errors_or_csp_violations(page: Page, live_server: str):
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    learner = make_user(email="csp@example.org")
    enrol(learner, "demo")
    _log_in(page, live_server, "csp@example.org")
    for path in ["/", "/courses/demo", "/courses/demo/01-basics/welcome", "/account"]:
        page.goto(live_server + path)
    assert problems == []


def test_take_and_pass_a_quiz(page: Page, live_server: str):
    learner = make_user(email="quiz@example.org")
    enrol(learner, "demo")
    _log_in(page, live_server, "quiz@example.org")
    page.goto(f"{live_server}/courses/demo/01-basics/next-steps")
    page.get_by_role("link", name="Take the module quiz").click()
    _assert_accessible(page, "quiz overview")
    page.get_by_role("button", name="Start the quiz").click()
    _assert_accessible(page, "quiz form")
    page.get_by_label("Listen").check()
    page.get_by_label("Bruises").check()
    page.get_by_label("Hunger").check()
    page.locator("fieldset", has_text="A child is a person under 18").get_by_label("True").check()
    page.get_by_role("textbox").fill("1099")
    page.get_by_role("button", name="Save answers").click()
    # the page's script saves without leaving the page, and says so there
    expect(page.locator(".quiz-status")).to_contain_text("Your answers are saved")
    page.evaluate("localStorage.clear()")  # what comes back now comes from the server
    page.reload()
    expect(page.get_by_label("Listen")).to_be_checked()  # saved answers come back
    for left, right in [
        ("Minor offence", "Up to 3 years"),
        ("Major offence", "More than 3 and up to 7 years"),
        ("Heinous offence", "More than 7 years"),
    ]:
        page.get_by_label(left).select_option(label=right)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.locator(".result")).to_contain_text("100%")
    expect(page.locator(".result")).to_contain_text("Passed")
    _assert_accessible(page, "quiz review")
    page.goto(f"{live_server}/courses/demo")
    expect(page.locator(".module-quiz").first).to_contain_text("passed, best 100%")


def test_an_instructor_issues_a_one_time_link_and_the_learner_uses_it_at_360px(
    page: Page, live_server: str
):
    from tests.factories import make_cohort

    page.set_viewport_size({"width": 360, "height": 740})
    from lms.extensions import db

    learner = make_user(email="forgetful@example.org")
    make_cohort(make_user(role="instructor", email="teacher@example.org"), [learner])
    learner_id = learner.id
    db.session.commit()  # end the test's read, so the server may write
    _log_in(page, live_server, "teacher@example.org")
    page.goto(f"{live_server}/teach/courses/demo/learners/{learner_id}")
    page.get_by_role("button", name="Issue a one-time link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("One-time link")
    _assert_accessible(page, "issued link")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    code = page.locator(".slip .code-text strong").inner_text()
    _log_out(page)
    page.goto(f"{live_server}/welcome")
    page.get_by_label("Code").fill(code.lower())
    page.get_by_role("button", name="Continue").click()
    _assert_accessible(page, "one-time link form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("New password", exact=True).fill("a walk by the river ravi")
    page.get_by_label("New password again").fill("a walk by the river ravi")
    page.get_by_role("button", name="Save my password").click()
    expect(page.locator(".flash")).to_contain_text("Your password is set")
    page.get_by_label("E-mail").fill("forgetful@example.org")
    page.get_by_label("Password").fill("a walk by the river ravi")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server}/dashboard")
