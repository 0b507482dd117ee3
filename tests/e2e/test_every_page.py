"""Every page type in Chromium, at a 360-pixel phone and at a desktop width, in English (left to right)
and in Urdu (right to left): no serious or critical axe-core violation, and nothing wider than the
screen (wide tables scroll inside their own box). One browser context and login per page serves both
languages and both widths: each language's page is loaded once, then resized."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from tests.pagetour import stops, url_of
from tests.web.test_access_matrix import _client_for

SERIOUS = {"serious", "critical"}
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1366, "height": 900}}
LANGUAGES = {"en": "ltr", "ur": "rtl"}  # the lms_lang cookie, and the direction its pages must have
#: visible elements that stick out of the screen on either side, unless a scrolling (or clipping)
#: box holds them; scrollWidth alone misses content pushed off the start side of a right-to-left page
OFF_SCREEN = """() => {
  const width = document.documentElement.clientWidth, found = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || (box.left >= -1 && box.right <= width + 1)) continue;
    if (el.closest(".skip")) continue;  // the skip link waits off-screen until focused
    let up = el.parentElement, held = false;
    for (; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") { held = true; break; }
    }
    if (!held) found.push(`${el.tagName.toLowerCase()}${el.className ? "." + el.className : ""}`);
  }
  return found.slice(0, 5);
}"""


def _session_cookie(app, client) -> str | None:
    """The signed session cookie the test client holds for a logged-in role."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return cookie.value if cookie else None


def test_every_page_type_is_accessible_and_fits(app, live_server: str, browser: Browser):
    problems: list[str] = []
    axe_script = Axe().axe_script
    for stop in stops(every_role=False):
        client = _client_for(app, app.test_client(), stop.role)
        url = url_of(stop)
        client.get(url)  # the test client's session cookie, signed by the app, for the browser
        context = browser.new_context(viewport=VIEWPORTS["phone"], locale="en-GB")
        # axe-core in every page from its start: sending its 550 KB for each run took longer than
        # the run itself
        context.add_init_script(script=axe_script)
        value = _session_cookie(app, client)
        if value:
            context.add_cookies([{"name": "session", "value": value, "url": live_server}])
        page = context.new_page()
        for lang, direction in LANGUAGES.items():
            context.add_cookies([{"name": "lms_lang", "value": lang, "url": live_server}])
            response = page.goto(live_server + url)
            assert response is not None and response.status == 200, f"{stop.label} in {lang}"
            assert page.get_attribute("html", "dir") == direction, f"{stop.label} in {lang}"
            # the page as loaded, then resized to the other width (the other order in Urdu)
            for viewport in sorted(VIEWPORTS, reverse=lang == "ur"):
                page.set_viewport_size(VIEWPORTS[viewport])
                where = f"{stop.label} in {lang} at {viewport} ({url})"
                problems += _problems(page, where)
        context.close()
    assert problems == [], "\n".join(problems)


def _violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    found = page.evaluate("axe.run({resultTypes: ['violations']}).then(r => r.violations)")
    return [v for v in found if v["impact"] in SERIOUS]


def _problems(page, where: str) -> list[str]:
    found = [
        f"{where}: {v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]}"
        for v in _violations(page)
    ]
    # in a right-to-left page scrollWidth counts what sticks out on the left, not on the right
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 1:
        found.append(f"{where}: {overflow}px wider than the screen")
    if sticking_out := page.evaluate(OFF_SCREEN):
        found.append(f"{where}: off the screen: {sticking_out}")
    return found


def test_axe_runs_in_the_pages_and_finds_violations(browser: Browser):
    context = browser.new_context()
    context.add_init_script(script=Axe().axe_script)
    page = context.new_page()
    page.goto("data:text/html,<!doctype html><html lang=en><title>x</title><img src=a.png>")
    assert [v["id"] for v in _violations(page)] == ["image-alt"]
    context.close()
