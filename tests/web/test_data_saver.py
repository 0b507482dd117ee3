"""The data saver: with ``Save-Data: on`` or the reader's choice on this phone, a lesson's images
become "Show image (N KB)" links that load nothing until asked; otherwise they load lazily with a
fingerprint. The shipped lessons have no images, so this runs on a copy of the test course that
has one. And no page pulls what it does not use: the Urdu font and stylesheet only on Urdu pages,
the offline scripts only where they work."""

from __future__ import annotations

import shutil

import pytest

from lms.extensions import db
from lms.web.offline import lesson_images
from tests.conftest import GOOD_CONTENT, log_in_quietly, soup
from tests.factories import enrol, make_user

LESSON = "/courses/demo/02-practice/try-it"
IMAGE = "![A referral pathway](/static/img/favicon.svg)"


@pytest.fixture
def app_config(tmp_path) -> dict:
    content = tmp_path / "content"
    shutil.copytree(GOOD_CONTENT, content)
    lesson = content / "courses" / "demo" / "02-practice" / "01-try-it.md"
    lesson.write_text(lesson.read_text() + f"\n{IMAGE}\n", encoding="utf-8")
    return {"LMS_CONTENT_DIR": str(content)}


@pytest.fixture
def reader(client):
    user = make_user()
    enrol(user, "demo")
    db.session.commit()
    return log_in_quietly(client, user)


def _image_size_kb(app) -> int:
    return max(1, round(len(app.extensions["lms.assets"]["img/favicon.svg"].body) / 1024))


def test_images_load_lazily_with_their_fingerprint(app, reader):
    page = soup(reader.get(LESSON))
    (image,) = page.select(".prose img")
    version = app.extensions["lms.assets"]["img/favicon.svg"].version
    assert image["src"] == f"/static/img/favicon.svg?v={version}"
    assert image["alt"] == "A referral pathway"
    assert image["loading"] == "lazy"
    assert page.select("[data-show-image]") == []


@pytest.mark.parametrize("how", ["header", "cookie"])
def test_with_the_data_saver_an_image_waits_to_be_asked_for(app, reader, how):
    if how == "header":
        response = reader.get(LESSON, headers={"Save-Data": "on"})
    else:
        reader.set_cookie("lms_data_saver", "1")
        response = reader.get(LESSON)
    page = soup(response)
    assert page.select(".prose img") == []
    (link,) = page.select(".prose a[data-show-image]")
    assert link.get_text() == f"Show image ({_image_size_kb(app)} KB): A referral pathway"
    assert link["href"].startswith("/static/img/favicon.svg?v=")  # without script: opens it
    assert "Save-Data" in response.headers["Vary"]
    assert response.headers["LMS-Offline"] == "lesson"
    # other lessons have no image: the one page for everybody
    assert soup(reader.get("/courses/demo/01-basics/welcome")).select("[data-show-image]") == []


def test_the_data_saver_in_urdu(app, reader):
    reader.set_cookie("lms_lang", "ur")
    page = soup(reader.get(LESSON, headers={"Save-Data": "on"}))
    link = page.select_one("[data-show-image]")
    assert link.get_text().startswith(f"تصویر دکھائیں ({_image_size_kb(app)} KB)")


def test_the_account_page_turns_the_data_saver_on_and_off(app, reader):
    page = soup(reader.get("/account"))
    form = page.select_one('form[action="/account/data-saver"]')
    assert form.button["value"] == "on"
    response = reader.post("/account/data-saver", data={"saver": "on"})
    assert response.status_code == 303
    cookie = reader.get_cookie("lms_data_saver")
    assert cookie.value == "1" and cookie.http_only
    assert soup(reader.get(LESSON)).select("[data-show-image]")
    page = soup(reader.get("/account"))
    assert page.select_one('form[action="/account/data-saver"] button')["value"] == "off"
    reader.post("/account/data-saver", data={"saver": "off"})
    assert reader.get_cookie("lms_data_saver") is None
    assert soup(reader.get(LESSON)).select(".prose img")


@pytest.mark.parametrize("data", [{}, {"saver": "maybe"}, {"saver": ["on", "off"]}])
def test_a_bad_choice_is_refused(reader, data):
    response = reader.post("/account/data-saver", data=data)
    assert response.status_code == 400
    assert reader.get_cookie("lms_data_saver") is None


def test_lesson_images_leaves_other_markup_alone():
    html = (
        '<p>Text <a href="/x">link</a></p><img alt="a &amp; b" src="https://example.org/x.png" />'
    )
    saver = lesson_images(html, {}, saver=True, label="Show image (%(kb)s KB)")
    assert saver.startswith('<p>Text <a href="/x">link</a></p>')
    assert 'data-alt="a &amp; b"' in saver and "Show image (? KB): a &amp; b" in saver
    assert lesson_images("<p>none</p>", {}, saver=True, label="") == "<p>none</p>"


def test_pages_pull_only_what_they_use(app, reader):
    english = soup(reader.get(LESSON))
    stylesheets = [link["href"] for link in english.select('link[rel="stylesheet"]')]
    assert not any("urdu" in href for href in stylesheets)
    scripts = sorted(s["src"].split("?")[0] for s in english.select("script[src]"))
    assert scripts == ["/static/js/heartbeat.js", "/static/js/offline.js"]
    reader.set_cookie("lms_lang", "ur")
    urdu = soup(reader.get(LESSON))
    assert any("urdu" in link["href"] for link in urdu.select('link[rel="stylesheet"]'))
    # a visitor's pages register no service worker and run no script at all
    visitor = app.test_client()
    for url in ("/courses", "/courses/demo", "/login"):
        assert soup(visitor.get(url)).select("script[src]") == [], url
    # the course page fetches the saving script only for someone who may save its lessons
    course = soup(reader.get("/courses/demo"))
    assert course.select('script[src^="/static/js/offline-pages.js"]')
