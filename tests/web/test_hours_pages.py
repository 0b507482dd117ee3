"""Hours on the web: the heartbeat API, "My hours", and the instructors' register and adjustments."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.extensions import db
from lms.models.certificates import Certificate
from lms.models.hours import (
    HoursAdjustment,
    LessonCredit,
    MarkChange,
    WorkshopMark,
    WorkshopSession,
)
from lms.models.quizzes import QuizAttempt
from lms.services import access, heartbeat
from tests.conftest import soup
from tests.factories import NOW, enrol, make_cohort

WELCOME = "demo/01-basics/welcome"


def beat(client, seconds=30, seq=1, lesson=WELCOME, **extra):
    body = {"lesson": lesson, "seconds": seconds, "seq": seq, "tab": "tab-12345", **extra}
    return client.post("/api/heartbeat", json=body)


def credited() -> int:
    return sum(s for (s,) in db.session.query(LessonCredit.seconds).all())


def test_heartbeats_credit_the_lesson_and_the_page_shows_it(client, reader, at):
    at(0)
    assert beat(client, seq=1).get_json()["credited"] == 0  # the first one starts the clock
    at(30)
    assert beat(client, seq=2).get_json()["credited"] == 30
    at(60)
    response = beat(client, seq=3)
    assert response.status_code == 200
    assert response.get_json() == {
        "credited": 30, "lesson_seconds": 60, "lesson_minutes": 12, "repeated": False,
    }  # fmt: skip
    page = soup(client.get("/courses/demo/01-basics/welcome"))
    assert page.select_one("[data-credited]").get_text() == "1"
    article = page.select_one("article[data-lesson]")
    assert article["data-lesson"] == WELCOME and article["data-heartbeat"] == "30"
    assert page.select_one("script[src^='/static/js/heartbeat.js']")
    other = soup(client.get("/courses/demo/01-basics/next-steps"))
    assert other.select_one("[data-credited]").get_text() == "0"  # time counts per lesson


def _all_but_30_seconds(user, *, quizzes_passed: tuple[str, ...]) -> int:
    """Every lesson credited in full except the last 30 s of the first; the given quizzes passed."""
    full = {
        WELCOME: 12 * 60 - 30,
        "demo/01-basics/next-steps": 8 * 60,
        "demo/02-practice/try-it": 10 * 60,
    }
    for key, seconds in full.items():
        db.session.add(LessonCredit(user_id=user.id, course_slug="demo", module_slug=key.split("/")[1],
                                    lesson_key=key, day=NOW.date(), seconds=seconds))  # fmt: skip
    for number, module in enumerate(quizzes_passed, 1):
        db.session.add(QuizAttempt(user_id=user.id, course_slug="demo", module_slug=module,
                                   number=number, seed=1, question_ids=[], pass_mark=70,
                                   content_version="t", started_at=NOW, submitted_at=NOW,
                                   responses={}, marks={}, score=90, passed=True))  # fmt: skip
    user_id = user.id
    db.session.commit()
    return user_id


def _certificate(user_id: int):
    return db.session.scalar(select(Certificate).where(Certificate.user_id == user_id))


@pytest.fixture
def orm_connections(monkeypatch) -> list[int]:
    """How many times an ORM session asked for its connection (a one-item list, read it after)."""
    calls = [0]
    real = Session.connection

    def counted(self, *args, **kwargs):
        calls[0] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Session, "connection", counted)
    return calls


def test_the_heartbeat_that_completes_the_course_issues_the_certificate(
    client, reader, at, orm_connections
):
    user_id = _all_but_30_seconds(reader, quizzes_passed=("01-basics", "02-practice"))
    assert beat(client, seconds=20, seq=1).get_json()["credited"] == 0  # starts the clock
    at(20)
    assert beat(client, seconds=20, seq=2).get_json()["credited"] == 20
    assert _certificate(user_id) is None  # 10 s to go
    at(50)
    orm_connections[0] = 0
    response = beat(client, seconds=30, seq=3)
    assert orm_connections[0] > 0  # every quiz passed: credited in the ORM session, to issue there
    assert response.get_json()["credited"] == 10 and response.get_json()["lesson_seconds"] == 720
    issued = _certificate(user_id)
    assert issued is not None and issued.minutes == 30 and issued.course_slug == "demo"


def test_a_heartbeat_before_the_last_quiz_credits_time_and_issues_nothing(
    client, reader, at, driver_statements, orm_connections
):
    user_id = _all_but_30_seconds(reader, quizzes_passed=("01-basics",))
    driver_statements.clear()
    orm_connections[0] = 0
    assert beat(client, seconds=30, seq=1).get_json()["credited"] == 0
    first = list(driver_statements)
    at(30)
    driver_statements.clear()
    assert beat(client, seconds=30, seq=2).get_json()["credited"] == 30
    request = list(driver_statements)
    assert orm_connections[0] == 0  # the heartbeat's own transaction, no ORM session
    assert _certificate(user_id) is None
    assert credited() == 30 * 60
    if db.engine.dialect.name == "postgresql":
        # who is asking; then BEGIN, COMMIT not waiting for the disk, the learner's clock locked,
        # the whole rule in one statement (tab, clock, lesson's time, credit, quizzes) and COMMIT,
        # sent together (one round trip, see test_the_heartbeat_transaction_is_one_round_trip...)
        for statements in (first, request):
            assert _verbs(statements) == ["SELECT", "BEGIN", "SET", "SELECT", "WITH", "COMMIT"]
        return
    # SQLite, statement by statement (no round trips: the database is in the process). The
    # learner's and the tab's first heartbeat: updates that find no row, then inserts; the
    # lesson's time; nothing credited, so no credit and no quizzes
    assert _verbs(first) == [
        "SELECT", "UPDATE", "INSERT", "UPDATE", "INSERT", "SELECT",
    ]  # fmt: skip
    # every later heartbeat: who is asking, then the heartbeat's own transaction: the tab, the
    # clock, the lesson's time, the credit and the quizzes; no ORM session, so nothing else
    assert _verbs(request) == [
        "SELECT", "UPDATE", "UPDATE", "SELECT", "INSERT", "SELECT",
    ]  # fmt: skip


def test_the_heartbeat_transaction_is_one_round_trip_on_postgresql(client, reader, at, monkeypatch):
    """BEGIN, its statements and COMMIT are queued in one psycopg pipeline, which sends them
    together and reads every answer after one sync: one wait for the server, not five."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set LMS_TEST_DATABASE_URL): SQLite has no round trips")
    import psycopg

    sent: list[tuple[str, bool]] = []
    real_execute = psycopg.Cursor.execute

    def execute(self, query, *args, **kwargs):
        sent.append((str(query).split()[0].upper(), self.connection._pipeline is not None))
        return real_execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", execute)
    pipelines = []
    real_pipeline = psycopg.Connection.pipeline

    def pipeline(self):
        pipelines.append(self)
        return real_pipeline(self)

    monkeypatch.setattr(psycopg.Connection, "pipeline", pipeline)
    assert beat(client, seq=1).status_code == 200
    at(30)
    sent.clear()
    pipelines.clear()
    assert beat(client, seq=2).get_json()["credited"] == 30
    assert sent == [
        ("SELECT", False),  # who is asking (its own round trip, outside any transaction)
        ("BEGIN", True), ("SET", True), ("SELECT", True), ("WITH", True), ("COMMIT", True),
    ]  # fmt: skip
    assert len(pipelines) == 1


def test_a_view_that_uses_the_orm_session_before_the_heartbeat_fails_at_once(
    client, reader, monkeypatch
):
    """The ordering rule (``heartbeat.record``): a check that reads through the ORM session
    before the heartbeat would, on SQLite, make the heartbeat wait out the busy timeout."""
    real = access.may_read_course

    def through_the_session(session, viewer, course_slug):
        session.execute(select(1))
        return real(session, viewer, course_slug)

    monkeypatch.setattr(access, "may_read_course", through_the_session)
    with pytest.raises(heartbeat.HeartbeatOrderError):
        beat(client)
    assert credited() == 0


def _verbs(statements: list[str]) -> list[str]:
    """The statements of one heartbeat request, by verb; on SQLite the transaction's BEGIN
    IMMEDIATE comes second (after who is asking) and COMMIT last, and is left out."""
    request = [s for s in statements if not s.startswith("PRAGMA")]
    # SQLite's trace repeats a statement for each step of a trigger it fires (the figures' mark of
    # a changed enrolment, lms.models.figures): one statement, counted once
    request = [s for i, s in enumerate(request) if i == 0 or s != request[i - 1]]
    verbs = [s.split()[0].upper() for s in request]
    if db.engine.dialect.name == "sqlite":
        assert request[1] == "BEGIN IMMEDIATE" and verbs[-1] == "COMMIT", request
        verbs = [v for v in verbs if v not in ("BEGIN", "COMMIT")]
    return verbs


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"lesson": "demo/01-basics/nope", "seconds": 30, "seq": 1, "tab": "tab-12345"}, 404),
        ({"lesson": WELCOME, "seconds": -1, "seq": 1, "tab": "tab-12345"}, 400),
        ({"lesson": WELCOME, "seconds": 10**9, "seq": 1, "tab": "tab-12345"}, 400),
        ({"lesson": WELCOME, "seconds": "30", "seq": 1, "tab": "tab-12345"}, 400),
        ({"lesson": WELCOME, "seconds": 30, "seq": 0, "tab": "tab-12345"}, 400),
        ({"lesson": WELCOME, "seconds": 30, "seq": 1, "tab": "<script>"}, 400),
        ({"lesson": WELCOME, "seconds": 30, "seq": 1, "tab": "tab-12345", "catch_up": "yes"}, 400),
        ({"lesson": 7, "seconds": 30, "seq": 1, "tab": "tab-12345"}, 400),
        ([1, 2, 3], 400),
    ],
)
def test_bad_heartbeats_get_a_json_4xx_and_credit_nothing(client, reader, body, status):
    response = client.post("/api/heartbeat", json=body)
    assert response.status_code == status
    assert response.get_json()["error"]
    assert credited() == 0


def test_non_json_and_missing_token_are_refused(client, reader):
    response = client.post("/api/heartbeat", data="seconds=30", content_type="text/plain")
    assert response.status_code == 400 and response.get_json()["error"]
    response = client.post("/api/heartbeat", json={"lesson": WELCOME, "seconds": 30, "seq": 1,
                                                   "tab": "tab-12345"}, csrf=False)  # fmt: skip
    assert response.status_code == 400
    assert "expired" in response.get_json()["error"]
    assert credited() == 0


def test_not_enrolled_and_anonymous_heartbeats_are_refused(client, learner, login_as):
    assert beat(client).status_code == 401
    login_as(learner)
    response = beat(client)
    assert response.status_code == 403 and response.get_json()["error"]
    assert credited() == 0


def test_my_hours_shows_modules_total_and_ledger(client, reader, instructor, at):
    for seq, moment in enumerate((0, 30, 60), 1):
        at(moment)
        beat(client, seq=seq)
    db.session.add(HoursAdjustment(user_id=reader.id, course_slug="demo", module_slug="02-practice",
                                   minutes=5, reason="Paper register, Zhob", created_by=instructor.id,
                                   created_at=NOW))  # fmt: skip
    db.session.commit()
    page = soup(client.get("/courses/demo/hours"))
    assert page.select_one(".total").get_text(" ", strip=True).startswith("0.1 of 0.5 hours")
    bars = page.select(".module-hours progress")
    assert [(b["value"], b["max"]) for b in bars] == [("60", "1200"), ("300", "600")]
    online = [
        [td.get_text() for td in tr.select("td")]
        for tr in page.select("table")[0].select("tbody tr")
    ]
    assert online == [[NOW.strftime("%d %b %Y"), "Welcome", "1.0"]]
    assert "Paper register, Zhob" in page.select("table")[-1].get_text()
    dashboard = soup(client.get("/dashboard"))
    assert (
        dashboard.select_one(".hours-progress")
        .get_text(" ", strip=True)
        .startswith("Hours: 0.1 of 0.5")
    )
    course = soup(client.get("/courses/demo"))
    assert [s.get_text() for s in course.select(".module-credit")] == [
        "1 of 20 min credited", "5 of 10 min credited",
    ]  # fmt: skip


# --- instructors ---------------------------------------------------------------------------------
def test_instructor_records_a_session_marks_and_edits(
    client, instructor, learner, make_user, login_as
):
    late = make_user(email="late@example.org")
    make_cohort(instructor, [learner, late])
    login_as(instructor)
    response = client.post("/teach/workshops/new", data={
        "module": "demo/01-basics", "held_on": "2026-03-05", "starts_at": "10:00", "minutes": "15",
        "place": "Police Training College, Quetta", "facilitator": "Inspector Rahim",
    })  # fmt: skip
    assert response.status_code == 302
    workshop = db.session.query(WorkshopSession).one()
    register = response.headers["Location"]
    response = client.post(
        f"{register}/learners", data={"emails": f"{learner.email}\nLATE@example.org\n"}
    )
    assert response.status_code == 302
    assert db.session.query(WorkshopMark).count() == 2
    response = client.post(f"{register}/marks", data={
        f"status-{learner.id}": "present", f"status-{late.id}": "late", f"minutes-{late.id}": "9",
        f"remark-{late.id}": "Bus was late",
    })  # fmt: skip
    assert response.status_code == 302
    marks = {m.user_id: (m.status, m.minutes_attended) for m in db.session.query(WorkshopMark)}
    assert marks == {learner.id: ("present", 15), late.id: ("late", 9)}
    change = db.session.query(MarkChange).one()
    assert (change.old_status, change.new_status, change.changed_by) == (
        "present",
        "late",
        instructor.id,
    )
    page = soup(client.get(register))
    assert "Bus was late" in page.select_one(".changes").get_text()
    assert workshop.place in page.get_text()


def test_a_bad_mark_refuses_the_whole_register(client, instructor, learner, make_user, login_as):
    other = make_user()
    make_cohort(instructor, [learner, other])
    login_as(instructor)
    client.post("/teach/workshops/new", data={
        "module": "demo/01-basics", "held_on": "2026-03-05", "starts_at": "10:00", "minutes": "15",
        "place": "Lahore", "facilitator": "A",
    })  # fmt: skip
    workshop = db.session.query(WorkshopSession).one()
    client.post(
        f"/teach/workshops/{workshop.id}/learners",
        data={"emails": f"{learner.email}\n{other.email}"},
    )
    response = client.post(f"/teach/workshops/{workshop.id}/marks", data={
        f"status-{learner.id}": "absent", f"status-{other.id}": "late", f"minutes-{other.id}": "99",
    })  # fmt: skip
    assert response.status_code == 400
    assert "minutes attended" in soup(response).select_one(".form-errors").get_text()
    db.session.expire_all()
    assert {m.status for m in db.session.query(WorkshopMark)} == {"present"}
    response = client.post(
        f"/teach/workshops/{workshop.id}/learners", data={"emails": "nobody@example.org"}
    )
    assert response.status_code == 400
    response = client.post(f"/teach/workshops/{workshop.id}/marks", data={"status-999": "present"})
    assert response.status_code == 400


def test_bad_session_forms_are_400(client, instructor, login_as):
    login_as(instructor)
    good = {"module": "demo/01-basics", "held_on": "2026-03-05", "starts_at": "10:00",
            "minutes": "15", "place": "x", "facilitator": "y"}  # fmt: skip
    for change in ({"module": "demo/99-x"}, {"held_on": "yesterday"}, {"starts_at": "25:00"},
                   {"minutes": "0"}, {"place": ""}):  # fmt: skip
        data = {**good, **change}
        assert client.post("/teach/workshops/new", data=data).status_code == 400
    assert db.session.query(WorkshopSession).count() == 0


def test_instructor_adjusts_hours_with_a_reason(client, instructor, learner, login_as):
    make_cohort(instructor, [learner])
    login_as(instructor)
    found = client.get(
        "/teach/learners", query_string={"email": learner.email.upper(), "course": "demo"}
    )
    assert found.headers["Location"] == f"/teach/courses/demo/learners/{learner.id}"
    url = f"/teach/courses/demo/learners/{learner.id}/adjustments"
    assert (
        client.post(
            url, data={"module": "demo/01-basics", "minutes": "10", "reason": ""}
        ).status_code
        == 400
    )
    assert (
        client.post(
            url, data={"module": "demo/01-basics", "minutes": "0", "reason": "Paper register"}
        ).status_code
        == 400
    )
    response = client.post(
        url, data={"module": "demo/01-basics", "minutes": "10", "reason": "Paper register, Zhob"}
    )
    assert response.status_code == 302
    page = soup(client.get(f"/teach/courses/demo/learners/{learner.id}"))
    row = page.select("tbody tr")[0]
    assert [td.get_text() for td in row.select("td")] == ["0", "0", "+10", "10 of 20"]
    assert db.session.query(HoursAdjustment).one().created_by == instructor.id


def test_learners_outside_the_instructors_cohorts_are_out_of_reach(
    client, instructor, learner, make_user, login_as
):
    enrol(learner, "demo")  # enrolled, but in nobody's cohort
    make_cohort(make_user(role="instructor"), [make_user()])  # another instructor's cohort
    login_as(instructor)
    assert client.get(f"/teach/courses/demo/learners/{learner.id}").status_code == 404
    response = client.get(
        "/teach/learners", query_string={"email": learner.email, "course": "demo"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/teach/"
