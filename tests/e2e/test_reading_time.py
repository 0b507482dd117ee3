"""Reading time in a real browser: an active reader earns time; a hidden tab earns none."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page

from lms.extensions import db
from lms.models.hours import LessonCredit
from tests.e2e.test_browser import _log_in
from tests.factories import enrol, make_user

LESSON = "/courses/demo/01-basics/welcome"


@pytest.fixture
def app_config() -> dict:
    return {"LMS_HEARTBEAT_SECONDS": 1, "LMS_IDLE_SECONDS": 5}


def credited_seconds() -> int:
    db.session.commit()  # see what the server committed
    return sum(s for (s,) in db.session.query(LessonCredit.seconds).all())


def read_for(page: Page, seconds: int) -> None:
    """Move the pointer now and then, as a reader scrolling a page does."""
    for step in range(seconds * 4):
        page.mouse.move(50 + step % 40, 200 + step % 30)
        page.wait_for_timeout(250)


def test_reading_a_lesson_earns_time(page: Page, live_server: str):
    """Time is credited while the reader is active, and never more than the time that passed
    (on a busy machine a heartbeat can be late: it then carries more seconds, still within it)."""
    enrol(make_user(email="reader@example.org"), "demo")
    _log_in(page, live_server, "reader@example.org")
    start = time.monotonic()
    page.goto(live_server + LESSON)
    read_for(page, 6)
    for _ in range(40):  # the last heartbeat may still be on its way
        if credited_seconds() >= 2:
            break
        page.wait_for_timeout(250)
    assert 2 <= credited_seconds() <= time.monotonic() - start


def test_a_hidden_tab_earns_nothing(page: Page, live_server: str):
    enrol(make_user(email="hidden@example.org"), "demo")
    _log_in(page, live_server, "hidden@example.org")
    page.add_init_script(
        "Object.defineProperty(document, 'visibilityState', {get: () => 'hidden'});"
    )
    page.goto(live_server + LESSON)
    read_for(page, 4)
    assert credited_seconds() == 0
