"""The bytes a learner's phone fetches for the first lesson of the shipped course (DESIGN.md §6): a
first visit (the page and the stylesheets and scripts it links) at most 20 KB and a later one at
most 8 KB, in English and in Urdu. The Urdu font is counted on its own: it is fetched once, on the
first Urdu page, and kept for a year. ``python -m bench`` measures the same over a real server."""

from __future__ import annotations

import gzip
import re

import pytest

from lms.extensions import db
from tests.conftest import TESTS, log_in_quietly
from tests.factories import enrol, make_user

FIRST_VIEW, LATER_VIEW, FONT = 20 * 1024, 8 * 1024, 110 * 1024
GZIP = {"Accept-Encoding": "gzip, deflate"}


@pytest.fixture
def app_config() -> dict:
    return {"LMS_CONTENT_DIR": str(TESTS.parent)}  # the shipped courses, not the test course


def _size(response) -> int:
    """Body and headers as sent (the status line and each ``name: value`` line)."""
    head = sum(len(k) + len(v) + 4 for k, v in response.headers.items()) + 17
    return head + len(response.get_data())


def weigh(client, url: str) -> dict:
    page = client.get(url, headers=GZIP)
    assert page.status_code == 200
    html = client.get(url).get_data(as_text=True)
    statics = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    linked = {}
    for static in statics:
        response = client.get(static, headers=GZIP)
        assert "immutable" in response.headers["Cache-Control"], static
        linked[static] = response
    fonts = {}
    for response in linked.values():
        if response.mimetype == "text/css":
            css = response.get_data()
            if response.headers.get("Content-Encoding") == "gzip":
                css = gzip.decompress(css)
            for font in re.findall(r'url\("?\.\./(fonts/[^")]+)', css.decode()):
                fonts[font] = client.get(f"/static/{font}", headers=GZIP)
    return {
        "first": _size(page) + sum(_size(r) for r in linked.values()),
        "later": _size(page),
        "fonts": {name: _size(r) for name, r in fonts.items()},
        "font_caching": {r.headers["Cache-Control"] for r in fonts.values()},
        "dir": re.search(r'<html[^>]* dir="(\w+)"', html).group(1),
    }


def test_the_first_lesson_is_light_in_both_languages(app, client):
    course = next(iter(app.extensions["lms.catalog"]))
    learner = make_user()
    enrol(learner, course.slug)
    db.session.commit()
    log_in_quietly(client, learner)
    url = "/courses/" + course.modules[0].lessons[0].key
    for lang, direction in (("en", "ltr"), ("ur", "rtl")):
        client.set_cookie("lms_lang", lang)
        client.get(url)  # the session's CSRF token is made on a first page; a browser keeps it
        weight = weigh(client, url)
        assert weight["dir"] == direction
        assert weight["first"] <= FIRST_VIEW, (lang, weight)
        assert weight["later"] <= LATER_VIEW, (lang, weight)
        if lang == "en":
            assert weight["fonts"] == {}  # English pages never fetch the Urdu font
        else:
            assert len(weight["fonts"]) == 1 and sum(weight["fonts"].values()) <= FONT
            assert weight["font_caching"] == {"public, max-age=31536000, immutable"}


def test_the_first_lesson_with_its_service_worker_stays_light(app, client):
    """The worker's script comes with the first logged-in page; the lesson, its static files and
    /sw.js together keep the first-view budget. (What the worker then fetches for the offline page
    is counted by ``python -m bench``.)"""
    course = next(iter(app.extensions["lms.catalog"]))
    learner = make_user()
    enrol(learner, course.slug)
    db.session.commit()
    log_in_quietly(client, learner)
    url = "/courses/" + course.modules[0].lessons[0].key
    for lang in ("en", "ur"):
        client.set_cookie("lms_lang", lang)
        client.get(url)
        weight = weigh(client, url)
        worker = client.get("/sw.js", headers=GZIP)
        assert "/static/js/offline.js?v=" in client.get(url).get_data(as_text=True)
        assert weight["first"] + _size(worker) <= FIRST_VIEW, (lang, weight, _size(worker))
