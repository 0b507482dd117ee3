"""The data saver in Chromium: an image waits as "Show image (N KB)" and loads in place when
tapped; the printable module's button opens the print dialog's way (shown only with script)."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import GOOD_CONTENT
from tests.e2e.test_browser import _log_in
from tests.factories import enrol, make_user

LESSON = "/courses/demo/02-practice/try-it"


@pytest.fixture
def app_config(tmp_path) -> dict:
    content = tmp_path / "content"
    shutil.copytree(GOOD_CONTENT, content)
    lesson = content / "courses" / "demo" / "02-practice" / "01-try-it.md"
    lesson.write_text(lesson.read_text() + "\n![A referral pathway](/static/img/favicon.svg)\n")
    return {"LMS_CONTENT_DIR": str(content)}


def test_an_image_loads_only_when_asked_for(page: Page, live_server: str):
    enrol(make_user(email="saver@example.org"), "demo")
    _log_in(page, live_server, "saver@example.org")
    page.context.add_cookies([{"name": "lms_data_saver", "value": "1", "url": live_server}])
    page.goto(live_server + LESSON)
    link = page.locator("a[data-show-image]")
    expect(link).to_have_text("Show image (1 KB): A referral pathway")
    expect(page.locator(".prose img")).to_have_count(0)
    link.click()
    expect(page.locator(".prose img")).to_have_attribute("alt", "A referral pathway")
    assert page.url == live_server + LESSON  # in place, not by following the link


def test_the_printable_module_has_a_print_button(page: Page, live_server: str):
    enrol(make_user(email="printer@example.org"), "demo")
    _log_in(page, live_server, "printer@example.org")
    page.goto(live_server + "/courses/demo/01-basics/print")
    expect(page.locator("article.print-lesson")).to_have_count(2)
    page.evaluate("window.print = () => { document.body.dataset.printed = '1'; }")
    page.get_by_role("button", name="Print or save as PDF").click()
    expect(page.locator("body")).to_have_attribute("data-printed", "1")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    second = page.locator("article.print-lesson").nth(1)
    assert second.evaluate("e => getComputedStyle(e).breakBefore") == "page"
