"""Learning pages: catalog, course overview, enrolment, dashboard and the lesson reader."""

from __future__ import annotations

import gzip

import pytest

from lms.content import markdown as content_markdown
from lms.extensions import db
from lms.models.enrolment import Enrolment
from tests.conftest import soup
from tests.factories import enrol

LESSON = "/courses/demo/01-basics/welcome"


def test_catalog_lists_courses_with_hours_for_anyone(client):
    page = soup(client.get("/courses"))
    cards = page.select(".course-card")
    assert [c.h2.get_text(strip=True) for c in cards] == ["Demo Course"]
    assert "30 min" in cards[0].get_text(" ", strip=True)


def test_course_overview_shows_modules_lessons_minutes_and_objectives(client):
    page = soup(client.get("/courses/demo"))
    assert page.h1.get_text() == "Demo Course"
    modules = page.select("li.module")
    assert [m.h3.get_text(" ", strip=True) for m in modules] == [
        "Module 1: Basics",
        "Module 2: Practice",
    ]
    lessons = [a.get_text() for a in modules[0].select("ol.lessons a")]
    assert lessons == ["Welcome", "Next steps"]
    assert "Take the next step" in modules[0].get_text(" ", strip=True)
    # anonymous readers are offered registration that comes back here
    register = page.find("a", string="Register to enrol")
    assert register["href"] == "/register?next=/courses/demo"


def test_learner_enrols_and_reads_a_lesson(client, learner, login_as):
    login_as(learner)
    form = soup(client.get("/courses/demo")).find("form", action="/courses/demo/enrol")
    assert form is not None
    response = client.post("/courses/demo/enrol")
    assert response.status_code == 302
    page = soup(client.get(response.headers["Location"]))
    assert "You are enrolled in Demo Course" in page.select_one(".flash").get_text()
    assert page.find("a", string="Start reading")["href"] == LESSON
    assert db.session.query(Enrolment).filter_by(user_id=learner.id).count() == 1

    # enrolling twice changes nothing
    assert client.post("/courses/demo/enrol").status_code == 302
    assert db.session.query(Enrolment).filter_by(user_id=learner.id).count() == 1

    dashboard = soup(client.get("/dashboard"))
    assert [h.get_text(strip=True) for h in dashboard.select(".enrolled .course-card h2")] == [
        "Demo Course"
    ]


def test_lesson_page_has_reader_furniture(client, learner, login_as):
    enrol(learner, "demo")
    login_as(learner)
    response = client.get(LESSON)
    assert response.status_code == 200
    page = soup(response)
    assert page.h1.get_text() == "Welcome"
    crumbs = [a.get_text() for a in page.select("nav.crumbs a")]
    assert crumbs == ["Courses", "Demo Course", "Module 1"]
    assert [li.get_text() for li in page.select(".objectives li")]
    assert page.select("nav.toc a")
    assert page.select_one("a[rel=next]")["href"] == "/courses/demo/01-basics/next-steps"
    assert page.select_one("a[rel=prev]") is None
    assert page.select(".prose div.admonition.case")  # the STYLE.md blocks keep their class
    assert page.find("meta", attrs={"name": "csrf-token"})["content"]
    # the last lesson of a module leads on to the next module
    last = soup(client.get("/courses/demo/01-basics/next-steps"))
    assert last.select_one("a[rel=next]")["href"] == "/courses/demo/02-practice/try-it"
    # links between lessons were rewritten to site URLs
    assert last.select_one(".prose a")["href"] == LESSON


def test_lesson_is_gzipped_when_asked_and_plain_otherwise(client, learner, login_as):
    enrol(learner, "demo")
    login_as(learner)
    zipped = client.get(LESSON, headers={"Accept-Encoding": "gzip"})
    plain = client.get(LESSON, headers={"Accept-Encoding": "identity"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(zipped.get_data()) == plain.get_data()


def test_not_enrolled_learner_gets_a_clear_way_in(client, learner, login_as):
    login_as(learner)
    response = client.get(LESSON)
    assert response.status_code == 403
    page = soup(response)
    assert "not enrolled" in page.h1.get_text().lower()
    assert page.find("form", action="/courses/demo/enrol") is not None


@pytest.mark.parametrize("role", ["instructor", "admin"])
def test_staff_read_lessons_without_enrolling(client, make_user, login_as, role):
    login_as(make_user(role=role))
    assert client.get(LESSON).status_code == 200


def test_anonymous_reader_is_sent_to_login_and_back(client):
    response = client.get(LESSON)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={LESSON}"


@pytest.mark.parametrize(
    "path",
    [
        "/courses/nope",
        "/courses/demo/01-basics/nope",
        "/courses/demo/99-nope/welcome",
        "/courses/demo/01-basics/../02-practice/try-it",
        "/courses/demo/01-basics/%2e%2e",
        "/courses/DEMO",
    ],
)
def test_unknown_or_malformed_paths_are_a_clear_404(client, learner, login_as, path):
    enrol(learner, "demo")
    login_as(learner)
    response = client.get(path)
    assert response.status_code == 404
    assert soup(response).h1.get_text(strip=True) == "Page not found"


def test_enrolling_in_an_unknown_course_is_404(client, learner, login_as):
    login_as(learner)
    assert client.post("/courses/nope/enrol").status_code == 404


def test_lesson_request_runs_one_query_and_parses_no_markdown(
    client, learner, login_as, monkeypatch, driver_statements
):
    enrol(learner, "demo")
    login_as(learner)
    client.get(LESSON)  # warm up

    def no_markdown(*args, **kwargs):
        raise AssertionError("Markdown parsed during a request")

    monkeypatch.setattr(content_markdown, "render_lesson", no_markdown)
    monkeypatch.setattr(content_markdown.markdown.Markdown, "convert", no_markdown)
    for path in (
        LESSON,
        "/courses/demo/01-basics/next-steps",
        "/courses/demo/02-practice/try-it",
    ):
        driver_statements.clear()
        assert client.get(path).status_code == 200
        # the user with their enrolments and the time credited on this lesson, in one SELECT;
        # nothing else reaches the database (no BEGIN, no COMMIT)
        assert len(driver_statements) == 1, driver_statements
        assert driver_statements[0].lstrip().upper().startswith("SELECT")
