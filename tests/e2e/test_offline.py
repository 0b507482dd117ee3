"""Reading offline in Chromium: the service worker keeps the lessons a learner opened or saved, per
person, and nothing else; with the connection cut (``context.set_offline``) a kept lesson opens
with its "offline" notice, any other page shows the offline page; logging out, or someone else
logging in on the same browser, leaves none of the first person's lessons behind."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.test_browser import _log_in, _log_out
from tests.factories import enrol, make_user

MODULE = ["/courses/demo/01-basics/welcome", "/courses/demo/01-basics/next-steps"]
OTHER_LESSON = "/courses/demo/02-practice/try-it"
CACHE_NAMES = "caches.keys()"
EVERY_URL = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) {
      const url = new URL(request.url);
      found.push(url.pathname + url.search);
    }
  }
  return found.sort();
}"""
LESSON_URLS = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith("lms-lessons-")) continue;
    for (const request of await (await caches.open(name)).keys()) found.push(new URL(request.url).pathname);
  }
  return found.sort();
}"""


@pytest.fixture
def context(context: BrowserContext) -> BrowserContext:
    context.set_default_timeout(10_000)
    return context


def _worker_ready(page: Page) -> None:
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")


def _saved(page: Page) -> list[str]:
    return page.evaluate(LESSON_URLS)


def _wait_saved(page: Page, urls: list[str]) -> None:
    for _ in range(40):
        if set(urls) <= set(_saved(page)):
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"not saved: {urls}, saved: {_saved(page)}")


def _save_module(page: Page, base: str) -> None:
    page.goto(base + "/courses/demo")
    _worker_ready(page)
    box = page.locator(".save-offline").first
    expect(box).to_be_visible()
    expect(box).to_contain_text("KB")
    box.get_by_role("button", name="Save this module for offline reading").click()
    expect(box.locator("[data-save-status]")).to_have_text("Saved for offline reading.")
    expect(box.locator("progress")).to_have_attribute("value", "2")
    _wait_saved(page, MODULE)


def _learner(email: str) -> None:
    enrol(make_user(email=email), "demo")


def test_a_saved_module_opens_offline_with_a_notice(page: Page, context, live_server: str):
    _learner("saver@example.org")
    _log_in(page, live_server, "saver@example.org")
    _save_module(page, live_server)
    assert _saved(page) == sorted(MODULE)  # the dashboard, the course page: never kept
    online = page.goto(live_server + MODULE[1])
    expect(page.locator("[data-offline-copy]")).to_be_hidden()  # online: the network's page
    assert online.headers.get("lms-saved-copy") is None

    context.set_offline(True)
    page.goto(live_server + MODULE[1])
    expect(page.locator("h1")).to_have_text("Next steps")
    expect(page.locator("[data-offline-copy]")).to_be_visible()
    expect(page.locator("[data-offline-copy]")).to_contain_text("You are offline")
    # a page that was never kept: the offline page, listing what is saved
    page.goto(live_server + "/dashboard")
    expect(page.locator("h1")).to_have_text("You are offline")
    saved = page.locator(".saved a")
    expect(saved).to_have_count(2)
    expect(saved.first).to_have_text("Welcome")
    saved.first.click()
    expect(page.locator("h1")).to_have_text("Welcome")
    expect(page.locator("[data-offline-copy]")).to_be_visible()
    context.set_offline(False)


def test_a_lesson_opened_once_opens_offline(page: Page, context, live_server: str):
    _learner("once@example.org")
    _log_in(page, live_server, "once@example.org")
    page.goto(live_server + OTHER_LESSON)  # the worker may not control this first page yet
    _worker_ready(page)
    _wait_saved(page, [OTHER_LESSON])
    page.goto(live_server + MODULE[0])  # now through the worker
    _wait_saved(page, [OTHER_LESSON, MODULE[0]])
    page.goto(live_server + "/courses/demo/hours")
    page.goto(live_server + "/certificates")
    kept = page.evaluate(EVERY_URL)
    assert sorted(url for url in kept if not url.startswith(("/static/", "/courses/"))) == [
        "/offline/state",  # the worker's note of who is reading: an opaque id and a language
        "/offline?lang=en",
        "/offline?lang=ur",
    ]
    assert [url for url in kept if url.startswith("/courses/")] == sorted([OTHER_LESSON, MODULE[0]])
    context.set_offline(True)
    page.goto(live_server + OTHER_LESSON)
    expect(page.locator("h1")).to_have_text("Try it")
    expect(page.locator("[data-offline-copy]")).to_be_visible()
    page.goto(live_server + MODULE[1])  # never opened: not there
    expect(page.locator("h1")).to_have_text("You are offline")
    context.set_offline(False)


def test_logging_out_clears_the_saved_lessons(page: Page, live_server: str):
    _learner("leaver@example.org")
    _log_in(page, live_server, "leaver@example.org")
    _save_module(page, live_server)
    _log_out(page)
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    assert _saved(page) == []
    assert not [n for n in page.evaluate(CACHE_NAMES) if n.startswith("lms-lessons-")]


def test_a_second_person_never_sees_the_first_ones_lessons(
    page: Page, context: BrowserContext, live_server: str
):
    _learner("first@example.org")
    _learner("second@example.org")
    _log_in(page, live_server, "first@example.org")
    _save_module(page, live_server)
    first_caches = [n for n in page.evaluate(CACHE_NAMES) if n.startswith("lms-lessons-")]
    assert len(first_caches) == 1
    # the first person never logged out (their session ran out); someone else logs in
    context.clear_cookies()
    _log_in(page, live_server, "second@example.org")
    assert _saved(page) == []
    names = page.evaluate(CACHE_NAMES)
    assert first_caches[0] not in names
    context.set_offline(True)
    page.goto(live_server + MODULE[0])
    expect(page.locator("h1")).to_have_text("You are offline")
    expect(page.locator(".saved a")).to_have_count(0)
    expect(page.locator("[data-offline-none]")).to_be_visible()
    context.set_offline(False)
