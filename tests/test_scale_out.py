"""Scale-out, proven (issue 23): two separate app servers on two loopback ports, one PostgreSQL
database and one Redis (database 7) for the rate limits, as the README's deployment runs them.

A learner logs in on server A; the session cookie then works on both. Two tabs send heartbeats
alternately to both servers; no second is lost or doubled: the time credited is exactly what the
rule allows (``floor(last - first)`` in whole seconds, since each heartbeat reports more than the
time that passed) and equals what the servers acknowledged. Failed logins on A and B add up to one
account's limit. The learner takes the last quiz on B while a heartbeat lands on A at the same
moment; the certificate is issued exactly once.

Skipped, saying why, unless ``LMS_TEST_DATABASE_URL`` names a PostgreSQL database and Redis answers
at ``LMS_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/7``). CI runs it in its PostgreSQL step.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from lms.certificates.keys import new_key_set
from lms.extensions import db
from lms.models.certificates import Certificate
from lms.models.hours import LessonCredit
from tests.conftest import GOOD_CONTENT
from tests.factories import PASSWORD, enrol, make_user
from tests.services.test_certificates import adjust, quiz
from tests.web.test_quiz import FULL, fill

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
LESSON = "demo/01-basics/welcome"  # 12 minutes: far more than the test's seconds
ACCOUNT_LIMIT = 4  # failed logins per account and minute, counted in Redis by both servers


def _reachable(url: str, default_port: int) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or default_port), 1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def servers(db_url, app):
    if not db_url.startswith("postgresql"):
        pytest.skip(
            "the scale-out test needs PostgreSQL: set LMS_TEST_DATABASE_URL to a PostgreSQL "
            "database (two servers cannot share the test's SQLite file the way they share a "
            "database server)"
        )
    if not _reachable(REDIS_URL, 6379):
        pytest.skip(f"the scale-out test needs Redis for shared rate limits: none at {REDIS_URL}")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # this test's own database number
    env = {
        **os.environ,
        "LMS_ENV": "production",
        "LMS_SECRET_KEY": "scale-out-test-secret-key-0123456789abcdef",  # the same on both
        "LMS_SECURE_COOKIES": "0",  # plain HTTP on loopback
        "LMS_DATABASE_URL": db_url,
        "LMS_RATELIMIT_STORAGE_URL": REDIS_URL,
        "LMS_LOGIN_ACCOUNT_LIMIT": f"{ACCOUNT_LIMIT} per minute",
        "LMS_LOGIN_LIMIT": "100 per minute",
        "LMS_CONTENT_DIR": str(GOOD_CONTENT),
        "LMS_SIGNING_KEY": new_key_set(),  # production refuses to start without one
    }
    started = []
    try:
        for _ in range(2):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            command = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                       "--log-level", "warning", "lms:create_app()"]  # fmt: skip
            proc = subprocess.Popen(command, env=env, cwd=ROOT)
            started.append((proc, f"http://127.0.0.1:{port}"))
        for proc, base in started:
            _wait_until_up(proc, base)
        yield [base for _, base in started]
    finally:
        for proc, _ in started:
            proc.terminate()
        for proc, _ in started:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis.Redis.from_url(REDIS_URL).flushdb()


def _wait_until_up(proc: subprocess.Popen, base: str) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"the server for {base} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server for {base} did not answer")


class Browser:
    """One browser: a cookie jar shared by every tab, so the session cookie set by one server is
    sent to the other (cookies belong to the host, not the port)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        no_redirects = type(
            "NoRedirects",
            (urllib.request.HTTPRedirectHandler,),
            {"redirect_request": lambda *args, **kwargs: None},
        )
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), no_redirects
        )

    def open(self, url: str, data=None, headers=None) -> tuple[int, dict, str]:
        body = data
        if isinstance(data, dict):
            body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def page(self, url: str) -> BeautifulSoup:
        status, _, text = self.open(url)
        assert status == 200, (url, status, text[:300])
        return BeautifulSoup(text, "html.parser")

    def post_form(self, url: str, fields: dict, action: str = "") -> tuple[int, dict, str]:
        """POST ``fields`` with the CSRF token of the form on the page at ``url``, to that page
        or to ``url + action``."""
        token = self.page(url).select_one("input[name=csrf_token]")["value"]
        return self.open(url + action, {**fields, "csrf_token": token})


def _log_in(browser: Browser, base: str, email: str, password: str) -> int:
    return browser.post_form(base + "/login", {"email": email, "password": password})[0]


def _beat(browser: Browser, base: str, token: str, tab: str, seq: int) -> tuple[float, float, dict]:
    body = json.dumps({"lesson": LESSON, "seconds": 60, "seq": seq, "tab": tab}).encode()
    headers = {"Content-Type": "application/json", "X-CSRFToken": token}
    sent = time.time()
    status, _, text = browser.open(base + "/api/heartbeat", body, headers)
    answered = time.time()
    assert status == 200, text[:300]
    return sent, answered, json.loads(text)


def _credited(user_id: int) -> int:
    db.session.commit()
    return db.session.scalar(
        select(func.coalesce(func.sum(LessonCredit.seconds), 0)).where(
            LessonCredit.user_id == user_id
        )
    )


def test_two_servers_share_sessions_time_limits_and_certificates(servers):
    a, b = servers
    learner = make_user(email="reader@example.org")
    enrol(learner, "demo")
    adjust(learner, "01-basics", 20)  # every minute credited: only the module 1 quiz is missing
    adjust(learner, "02-practice", 10)
    quiz(learner, "02-practice")
    user_id = learner.id

    # the session started on A works on both
    browser = Browser()
    assert _log_in(browser, a, learner.email, PASSWORD) == 302
    lesson_url = "/courses/" + LESSON
    token = browser.page(a + lesson_url).select_one('meta[name="csrf-token"]')["content"]
    assert browser.page(b + lesson_url).h1.get_text(strip=True)
    assert browser.page(b + "/dashboard").select_one("main")

    # two tabs, heartbeats alternately to A and B, each tab using both servers
    tabs = {"tab-aaaaaaaa": 0, "tab-bbbbbbbb": 0}
    moments, acknowledged = [], 0
    for i in range(10):
        tab = list(tabs)[i % 2]
        tabs[tab] += 1
        sent, answered, result = _beat(browser, (a, b)[(i // 2) % 2], token, tab, tabs[tab])
        moments.append((sent, answered))
        acknowledged += result["credited"]
        time.sleep(0.45)
    stored = _credited(user_id)
    assert stored == acknowledged  # none lost, none doubled
    # the rule, with every heartbeat reporting more than the time passed: the whole seconds
    # between the first heartbeat and the last, whichever server saw them
    (first_sent, first_answered), (last_sent, last_answered) = moments[0], moments[-1]
    assert int(last_sent - first_answered) <= stored <= int(last_answered - first_sent)
    assert stored >= 3  # about 4.5 s passed: the servers really credited time

    # a repeated heartbeat (a retry that reaches the other server) earns nothing
    tab = "tab-aaaaaaaa"
    repeated = _beat(browser, b, token, tab, tabs[tab])[2]
    assert repeated["credited"] == 0 and repeated["repeated"] is True
    assert _credited(user_id) == stored

    # login throttling counts the failures of one account on both servers together
    other = make_user(email="someone@example.org")
    intruder = Browser()
    for base in (a, b, a, b)[:ACCOUNT_LIMIT]:
        assert _log_in(intruder, base, other.email, "wrong password") == 401
    assert _log_in(intruder, b, other.email, PASSWORD) == 429  # the limit is reached on B too
    assert _log_in(Browser(), a, other.email, "wrong password") == 429

    # the last quiz on B while a heartbeat lands on A: the certificate is issued exactly once
    overview = b + "/courses/demo/01-basics/quiz"
    status, headers, _ = browser.post_form(overview, {}, "/start")
    assert status == 302, status
    attempt = headers["Location"]
    attempt_url = attempt if attempt.startswith("http") else b + attempt
    answers = fill(browser.page(attempt_url), FULL)
    token_field = browser.page(attempt_url).select_one("input[name=csrf_token]")["value"]
    outcomes = {}

    def submit():
        outcomes["quiz"] = browser.open(attempt_url, {**answers, "csrf_token": token_field})[0]

    def beat_on_a():
        tabs["tab-bbbbbbbb"] += 1
        outcomes["beat"] = _beat(browser, a, token, "tab-bbbbbbbb", tabs["tab-bbbbbbbb"])[2]

    threads = [threading.Thread(target=submit), threading.Thread(target=beat_on_a)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes["quiz"] in (200, 302), outcomes
    # and once more on each server afterwards, through the path that may issue
    for base in (a, b):
        tabs["tab-aaaaaaaa"] += 1
        time.sleep(0.3)
        _beat(browser, base, token, "tab-aaaaaaaa", tabs["tab-aaaaaaaa"])
    db.session.commit()
    issued = db.session.scalars(select(Certificate).where(Certificate.user_id == user_id)).all()
    assert len(issued) == 1 and issued[0].course_slug == "demo"
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert browser.page(a + "/dashboard").select_one("main")  # still logged in on both
    assert browser.page(b + "/dashboard").select_one("main")
