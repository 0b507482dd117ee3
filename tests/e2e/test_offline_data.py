"""Reading time and quiz answers across a dropped connection, in Chromium's offline mode.

Time read while ``context.set_offline(True)`` is queued in IndexedDB and credited once the
connection is back, within the server's rules, and never again when the same records are sent
again after a reload; a quiz submitted offline is submitted once when the connection returns.
The heartbeat runs every second (``LMS_HEARTBEAT_SECONDS``), as in test_reading_time.py.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from lms.extensions import db
from lms.models.quizzes import QuizAttempt, QuizRequest
from tests.e2e.test_browser import _log_in
from tests.e2e.test_reading_time import LESSON, credited_seconds, read_for
from tests.factories import enrol, make_user

READ_QUEUE = """() => new Promise(done => {
  const open = indexedDB.open("lms-reading", 1);
  open.onsuccess = () => {
    const get = open.result.transaction("beats").objectStore("beats").getAll();
    get.onsuccess = () => { open.result.close(); done(get.result); };
  };
})"""
WRITE_QUEUE = """records => new Promise(done => {
  const open = indexedDB.open("lms-reading", 1);
  open.onsuccess = () => {
    const tx = open.result.transaction("beats", "readwrite");
    records.forEach(r => tx.objectStore("beats").put(r));
    tx.oncomplete = () => { open.result.close(); done(); };
  };
})"""


@pytest.fixture
def app_config() -> dict:
    return {"LMS_HEARTBEAT_SECONDS": 1, "LMS_IDLE_SECONDS": 5}


def credited() -> int:
    """What the server committed, without keeping a read transaction open while the test waits."""
    value = credited_seconds()
    db.session.commit()
    return value


def wait_for(page: Page, condition, seconds: float = 8.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        page.wait_for_timeout(250)
    return condition()


def test_time_read_offline_is_credited_once_when_the_connection_returns(
    page: Page, context: BrowserContext, live_server: str
):
    enrol(make_user(email="offline@example.org"), "demo")
    _log_in(page, live_server, "offline@example.org")
    page.goto(live_server + LESSON)
    started = time.monotonic()
    read_for(page, 3)
    assert wait_for(page, lambda: credited() >= 1)  # the first heartbeat only starts the clock
    page.wait_for_timeout(1200)  # the last online heartbeat answered
    online_credit = credited()

    context.set_offline(True)
    went_offline = time.monotonic()
    read_for(page, 6)
    queued = page.evaluate(READ_QUEUE)
    assert credited() == online_credit  # nothing reached the server
    # one record for this page: the seconds counted offline joined it (one catch-up)
    assert len(queued) == 1 and queued[0]["waited"] and 4 <= queued[0]["seconds"] <= 8
    assert queued[0]["lesson"] == "demo/01-basics/welcome" and queued[0]["owner"]

    context.set_offline(False)  # `online`: the queue is sent at once
    offline_for = time.monotonic() - went_offline
    assert wait_for(page, lambda: credited() >= online_credit + 4)
    after = credited()
    # within the rules: no more than the time that passed since the clock started
    assert after - online_credit <= offline_for + 2
    assert after <= time.monotonic() - started
    assert wait_for(page, lambda: page.evaluate(READ_QUEUE) == [])

    # The same records sent again (a beacon that did arrive, a copy kept): repeated, earn nothing.
    page.add_init_script(
        "Object.defineProperty(document, 'visibilityState', {get: () => 'hidden'});"
    )
    page.evaluate(WRITE_QUEUE, queued)
    page.reload()  # any lesson page sends what the browser kept
    assert wait_for(page, lambda: page.evaluate(READ_QUEUE) == [])
    page.wait_for_timeout(1000)
    assert credited() == after


def test_a_quiz_submitted_offline_is_submitted_once_when_back_online(
    page: Page, context: BrowserContext, live_server: str
):
    enrol(make_user(email="quiz-offline@example.org"), "demo")
    _log_in(page, live_server, "quiz-offline@example.org")
    page.goto(f"{live_server}/courses/demo/01-basics/quiz")
    page.get_by_role("button", name="Start the quiz").click()
    attempt_url = page.url
    page.get_by_label("Listen").check()
    page.get_by_label("Bruises").check()
    page.reload()  # answers chosen are kept on the phone and filled in again
    expect(page.get_by_label("Listen")).to_be_checked()
    expect(page.get_by_label("Bruises")).to_be_checked()
    page.get_by_label("Hunger").check()
    page.locator("fieldset", has_text="A child is a person under 18").get_by_label("True").check()
    page.get_by_role("textbox").fill("1099")
    for left, right in [
        ("Minor offence", "Up to 3 years"),
        ("Major offence", "More than 3 and up to 7 years"),
        ("Heinous offence", "More than 7 years"),
    ]:
        page.get_by_label(left).select_option(label=right)

    context.set_offline(True)
    page.get_by_role("button", name="Submit answers").click()
    status = page.locator(".quiz-status")
    expect(status).to_contain_text(
        "Your answers are saved on this phone and will be sent when you are back online"
    )
    page.get_by_role("button", name="Submit answers").click()  # pressed again, impatient
    page.wait_for_timeout(500)
    assert page.url == attempt_url
    db.session.commit()
    assert db.session.query(QuizAttempt).one().submitted_at is None
    db.session.commit()  # no read transaction held while the server writes

    context.set_offline(False)
    expect(page.locator(".result")).to_contain_text("100%")
    expect(page.locator(".flash")).to_contain_text("You scored 100%")
    db.session.commit()
    attempt = db.session.query(QuizAttempt).one()  # one attempt, graded once
    assert attempt.score == 100 and attempt.submitted_at is not None
    assert db.session.query(QuizRequest).filter_by(action="submit").count() == 1
    kept = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('lms-quiz:'))")
    assert kept == []  # sent: nothing of the attempt stays on the phone
