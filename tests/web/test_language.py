"""Choosing the interface language: the switch, the cookie, the profile, Accept-Language, login."""

from __future__ import annotations

import pytest

from lms import i18n
from lms.extensions import db
from lms.models.users import User
from tests.conftest import log_in_quietly, login, soup


def _lang(response) -> tuple[str, str]:
    html = soup(response).html
    return html["lang"], html["dir"]


def test_english_by_default_and_left_to_right(client):
    assert _lang(client.get("/courses")) == ("en", "ltr")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ur-PK,ur;q=0.9,en;q=0.5", "ur"),
        ("ur", "ur"),
        ("en-GB", "en"),
        ("fr, de", "en"),
        ("en;q=0.1, ur;q=0.9", "ur"),
        ("", "en"),
        (";;q=,\x7f", "en"),
    ],  # fmt: skip
)
def test_a_first_visit_follows_accept_language(client, header, expected):
    for _ in range(2):  # the second time from the cache of parsed headers
        page = client.get("/courses", headers={"Accept-Language": header})
        assert _lang(page)[0] == expected
        assert _lang(page)[1] == i18n.direction(expected)


def test_every_page_offers_the_other_language_and_comes_back_to_it(client):
    page = soup(client.get("/courses"))
    form = page.select_one("header form.language-switch")
    assert form["method"] == "post" and form["action"] == "/language"
    assert form.select_one("input[name=next]")["value"] == "/courses"
    button = form.select_one("button[name=lang]")
    assert (button["value"], button["lang"], button.get_text()) == ("ur", "ur", "اردو")


def test_a_visitor_choice_is_kept_in_a_cookie(client):
    response = client.post("/language", data={"lang": "ur", "next": "/courses"})
    assert response.status_code == 303 and response.headers["Location"] == "/courses"
    cookie = response.headers["Set-Cookie"]
    assert "lms_lang=ur" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert _lang(client.get("/courses", headers={"Accept-Language": "en"})) == ("ur", "rtl")
    client.post("/language", data={"lang": "en", "next": "/courses"})
    assert _lang(client.get("/courses", headers={"Accept-Language": "ur"})) == ("en", "ltr")


@pytest.mark.parametrize(
    "data",
    [{}, {"lang": "fr"}, {"lang": "UR"}, {"lang": ["ur", "en"]}, {"lang": "ur\x00"}],
    ids=["nothing", "unknown", "upper-case", "twice", "control"],
)
def test_a_bad_choice_is_a_400_and_changes_nothing(client, data):
    response = client.post("/language", data=data)
    assert response.status_code == 400
    assert "lms_lang" not in response.headers.get("Set-Cookie", "")


def test_next_only_goes_to_this_site(client):
    response = client.post("/language", data={"lang": "ur", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_a_logged_in_choice_is_saved_in_the_profile(client, learner):
    log_in_quietly(client, learner)
    client.post("/language", data={"lang": "ur", "next": "/dashboard"})
    assert db.session.get(User, learner.id).locale == "ur"
    other = client.application.test_client()  # another browser: no cookie, English asked for
    log_in_quietly(other, learner)
    assert _lang(other.get("/dashboard", headers={"Accept-Language": "en"})) == ("ur", "rtl")


def test_the_choice_survives_login(client, learner):
    client.post("/language", data={"lang": "ur", "next": "/login"})
    login(client, learner)
    assert db.session.get(User, learner.id).locale == "ur"
    assert _lang(client.get("/dashboard")) == ("ur", "rtl")


def test_a_profile_choice_wins_over_accept_language_after_login(client, learner):
    learner.locale = "ur"
    db.session.commit()
    login(client, learner)
    assert _lang(client.get("/dashboard", headers={"Accept-Language": "en"}))[0] == "ur"


def test_lesson_pages_are_prerendered_in_each_language(client, learner):
    from tests.factories import enrol

    enrol(learner)
    log_in_quietly(client, learner)
    lesson = "/courses/demo/01-basics/welcome"
    english = soup(client.get(lesson))
    assert (english.html["lang"], english.html["dir"]) == ("en", "ltr")
    client.post("/language", data={"lang": "ur", "next": lesson})
    urdu = soup(client.get(lesson))
    assert (urdu.html["lang"], urdu.html["dir"]) == ("ur", "rtl")
    token = urdu.select_one("header form.language-switch input[name=csrf_token]")["value"]
    assert token == urdu.select_one('meta[name="csrf-token"]')["content"]
    assert urdu.select_one("header form.language-switch input[name=next]")["value"] == lesson


@pytest.mark.parametrize("profile", [None, "en", "ur"])
@pytest.mark.parametrize("cookie", [None, "en", "ur", "fr"])
@pytest.mark.parametrize("accept", [None, "ur-PK,ur;q=0.9", "en-GB"])
def test_the_lesson_page_chooses_the_language_every_other_page_chooses(
    client, learner, profile, cookie, accept
):
    """The lesson page asks the language rule directly (``requested_locale``), the other pages
    through Flask-Babel: for any profile, cookie and browser they agree."""
    from tests.factories import enrol

    enrol(learner)
    learner.locale = profile
    db.session.commit()
    log_in_quietly(client, learner)
    if cookie is not None:
        client.set_cookie(i18n.COOKIE, cookie)
    headers = {"Accept-Language": accept} if accept else {}
    lesson = _lang(client.get("/courses/demo/01-basics/welcome", headers=headers))
    assert lesson == _lang(client.get("/dashboard", headers=headers))
    expected = (
        profile
        or (cookie if cookie in i18n.LOCALES else None)
        or ("ur" if accept and accept.startswith("ur") else "en")
    )
    assert lesson[0] == expected
