"""Reading offline, as the server sees it: the service worker's script and headers, the offline
page, what marks a page as one the worker may keep and whose it is, "save this module", logout's
clearing, and the printable module. The worker itself runs in tests/e2e/test_offline.py."""

from __future__ import annotations

import json
import re

import pytest

from lms.extensions import db
from lms.web import offline
from tests.conftest import log_in_quietly, soup
from tests.factories import enrol, make_user

LESSON = "/courses/demo/01-basics/welcome"
PRINT = "/courses/demo/01-basics/print"


@pytest.fixture
def reader(client):
    user = make_user(email="reader@example.org")
    enrol(user, "demo")
    db.session.commit()
    log_in_quietly(client, user)
    return user


def test_the_service_worker_is_served_for_the_whole_site(app, client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    script = response.get_data(as_text=True)
    assert "__LMS_" not in script
    version = re.search(r'const VERSION = "([0-9a-f]{16})";', script).group(1)
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", script).group(1))
    assets = app.extensions["lms.assets"]
    for url in precache:  # fingerprinted, so a release fetches them again
        name, _, fingerprint = url.removeprefix("/static/").partition("?v=")
        assert assets[name].version == fingerprint
        assert "immutable" in client.get(url).headers["Cache-Control"]
    assert client.get("/sw.js").get_data(as_text=True).count(version) == 1  # the same each time


def test_the_worker_version_follows_the_static_files(app, client):
    first = client.get("/sw.js").get_data(as_text=True)
    assets = app.extensions["lms.assets"]
    css = assets["css/site.css"]
    assets["css/site.css"] = type(css)(css.body + b"/**/", None, css.mimetype, "0123456789")
    app.extensions.pop("lms.sw")
    second = client.get("/sw.js").get_data(as_text=True)
    version = re.compile(r'const VERSION = "(\w+)"')
    assert version.search(first).group(1) != version.search(second).group(1)
    assert "/static/css/site.css?v=0123456789" in second


@pytest.mark.parametrize(("lang", "direction", "heading"), [("en", "ltr", "You are offline"),
                                                            ("ur", "rtl", "آپ آف لائن ہیں")])  # fmt: skip
def test_the_offline_page_holds_nothing_personal(client, reader, lang, direction, heading):
    response = client.get(f"/offline?lang={lang}")
    page = soup(response)
    assert page.html["lang"] == lang and page.html["dir"] == direction
    assert page.h1.get_text() == heading
    assert page.select("[data-offline-list] ul") and page.select("[data-offline-none]")
    # no navigation, no form, no token, nothing of the person who was logged in when it was kept
    assert page.select("nav.site-nav, form, input") == []
    assert "reader@example.org" not in response.get_data(as_text=True)
    assert "Test Person" not in response.get_data(as_text=True)
    assert page.select('script[src^="/static/js/offline-pages.js"]')  # draws the list
    assert not page.select('script[src^="/static/js/offline.js"]')  # registers nothing


def test_the_offline_page_follows_the_chosen_language_without_lang(client):
    client.set_cookie("lms_lang", "ur")
    assert soup(client.get("/offline")).html["dir"] == "rtl"


def test_only_lesson_pages_are_marked_for_keeping(client, reader):
    lesson = client.get(LESSON)
    assert lesson.headers["LMS-Offline"] == "lesson"
    viewer = lesson.headers["LMS-Viewer"]
    assert re.fullmatch(r"[0-9a-f]{24}", viewer)
    assert viewer != str(reader.id) and "@" not in viewer  # a keyed hash, not the id or e-mail
    page = soup(lesson)
    notice = page.select_one("[data-offline-copy]")
    assert notice.has_attr("hidden") and "offline" in notice.get_text()
    # the worker shows the notice by removing exactly this attribute text
    assert "data-offline-copy hidden" in lesson.get_data(as_text=True)
    for url in ("/dashboard", "/courses/demo", "/courses/demo/hours", "/certificates", PRINT,
                "/account", "/courses/demo/01-basics/quiz"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        assert "LMS-Offline" not in response.headers, url
        assert response.headers["LMS-Viewer"] == viewer, url  # the same person on every page
    assert "LMS-Offline" not in client.post("/api/heartbeat", json={}).headers


def test_each_person_has_their_own_opaque_id(app, client):
    first, second = make_user(), make_user()
    ids = set()
    for user in (first, second):
        log_in_quietly(client, user)
        ids.add(client.get("/dashboard").headers["LMS-Viewer"])
    assert len(ids) == 2
    with app.test_request_context():
        assert offline.viewer_id(first.id) in ids


def test_a_visitor_is_nobody(client):
    assert client.get("/courses").headers["LMS-Viewer"] == ""
    assert client.get("/login").headers["Content-Language"] == "en"


def test_logout_clears_the_browsers_cache(client, reader):
    client.get("/dashboard")
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert client.get(response.headers["Location"]).headers["LMS-Viewer"] == ""


def test_save_this_module_lists_its_lessons_and_their_size(app, client, reader):
    page = soup(client.get("/courses/demo"))
    boxes = page.select("[data-save-module]")
    course = app.extensions["lms.catalog"].course("demo")
    assert len(boxes) == len(course.modules)
    pages = app.extensions["lms.lesson_pages"]
    for box, module in zip(boxes, course.modules, strict=True):
        urls = box["data-save-module"].split()
        assert urls == [f"/courses/{lesson.key}" for lesson in module.lessons]
        assert box.has_attr("hidden")  # shown by offline.js where service workers exist
        assert box.button.get_text() == "Save this module for offline reading"
        assert box.progress["max"] == str(len(module.lessons))
        size = sum(pages.size("en", lesson.key) for lesson in module.lessons)
        assert box.select_one(".meta").get_text() == f"{max(1, round(size / 1024))} KB"
        for url in urls:  # about what the lesson weighs as sent
            sent = client.get(url, headers={"Accept-Encoding": "gzip"}).get_data()
            assert abs(len(sent) - pages.size("en", url.removeprefix("/courses/"))) < 200
    links = [a["href"] for a in page.select("a") if a["href"].endswith("/print")]
    assert links == [f"/courses/demo/{m.slug}/print" for m in course.modules]


def test_no_save_button_for_those_who_may_not_read(client):
    assert soup(client.get("/courses/demo")).select("[data-save-module]") == []
    log_in_quietly(client, make_user())  # not enrolled
    assert soup(client.get("/courses/demo")).select("[data-save-module]") == []


def test_the_printable_module_has_every_lesson(app, client, reader):
    response = client.get(PRINT)
    assert response.status_code == 200
    page = soup(response)
    module = app.extensions["lms.catalog"].module("demo", "01-basics")
    lessons = page.select("article.print-lesson")
    assert [a.h2.get_text() for a in lessons] == [lesson.title for lesson in module.lessons]
    assert page.select_one('link[href^="/static/css/print.css"]')
    assert page.select_one("button[data-print]").has_attr("hidden")  # needs JavaScript
    ids = [tag["id"] for tag in page.select("[id]")]
    assert len(ids) == len(set(ids))  # lessons repeat anchors and footnotes: prefixed per lesson
    for link in page.select('a[href^="#"]'):
        assert link["href"][1:] in ids, link
    first = lessons[0]
    assert first.select_one(".objectives li").get_text() == module.lessons[0].objectives[0]
    assert "heartbeat" not in response.get_data(as_text=True)  # printing earns no reading time


def test_the_printable_module_in_urdu_uses_the_translations(client, reader):
    client.set_cookie("lms_lang", "ur")
    page = soup(client.get(PRINT))
    assert page.html["dir"] == "rtl"
    welcome, next_steps = page.select("article.print-lesson")
    assert welcome.h2.get_text() == "خوش آمدید"
    assert welcome.select_one(".prose")["lang"] == "ur"
    assert welcome.select(".untranslated") == []
    assert next_steps.select_one(".prose")["lang"] == "en"  # no translation: the original, said so
    assert next_steps.select(".untranslated")


def test_the_printable_module_is_for_readers_only(client):
    log_in_quietly(client, make_user())
    assert client.get(PRINT).status_code == 403
    log_in_quietly(client, make_user(role="instructor"))
    assert client.get(PRINT).status_code == 200
    assert client.get("/courses/demo/no-such-module/print").status_code == 404
    assert client.get("/courses/nope/01-basics/print").status_code == 404
