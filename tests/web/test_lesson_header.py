"""The lesson page is rendered at start-up with slots for the per-request parts; its header must be
the header every other page has, for each role, and a per-user value the start-up render cannot fill
must stop the start-up, not print nothing."""

from __future__ import annotations

import jinja2
import pytest
from flask import current_app

from lms.web.lesson_pages import LessonPages
from tests.conftest import log_in_quietly, soup
from tests.factories import enrol

LESSON = "/courses/demo/01-basics/welcome"
OTHER_PAGES = ("/dashboard", "/courses", "/courses/demo", "/certificates", "/account")


def _header(response) -> str:
    assert response.status_code == 200, response.request.path
    header = soup(response).select_one("body > header.site-header")
    assert header is not None
    back = header.select_one("form.language-switch input[name=next]")
    assert back["value"] == response.request.path  # the switch comes back to the same page
    back["value"] = "(this page)"
    return header.decode(formatter="html5")


@pytest.mark.parametrize("role", ["learner", "instructor", "admin"])
def test_the_lesson_page_header_equals_every_other_page_header(client, make_user, role):
    user = make_user(role=role)
    enrol(user)
    log_in_quietly(client, user)
    lesson = _header(client.get(LESSON))
    assert "Log out" in lesson
    for path in OTHER_PAGES:
        assert _header(client.get(path)) == lesson, f"{path} and the lesson page differ"
    links = soup(client.get(LESSON)).select("header.site-header nav a")
    assert ("Teaching" in [a.get_text() for a in links]) == (role != "learner")
    assert ("Admin" in [a.get_text() for a in links]) == (role == "admin")


def test_anonymous_visitors_are_sent_to_log_in_before_a_lesson(client):
    response = client.get(LESSON)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("name", "addition"),
    [
        ("partials/nav.html", "<li>{{ viewer.full_name }}</li>\n</ul>"),
        ("base.html", "<p>{{ current_user.full_name }}</p>\n</header>"),
        ("base.html", "<p>{{ unread_messages }}</p>\n</header>"),
    ],
)
def test_a_per_user_value_in_the_layout_stops_the_start_up(app, name, addition):
    loader = app.jinja_env.loader
    source = loader.get_source(app.jinja_env, name)[0]
    closing = addition.rsplit("\n", 1)[1]
    assert closing in source
    changed = source.replace(closing, addition, 1)
    app.jinja_env.loader = jinja2.ChoiceLoader([jinja2.DictLoader({name: changed}), loader])
    app.jinja_env.cache.clear()
    try:
        with pytest.raises(jinja2.UndefinedError):
            LessonPages(app, current_app.extensions["lms.catalog"]).render_all()
    finally:
        app.jinja_env.loader = loader
        app.jinja_env.cache.clear()
