"""Every page type in Chromium, at a 360-pixel phone and at a desktop width: no serious or critical
axe-core violation, and nothing wider than the screen (wide tables scroll inside their own box)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from tests.pagetour import stops, url_of
from tests.web.test_access_matrix import _client_for

SERIOUS = {"serious", "critical"}
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1366, "height": 900}}


def _session_cookie(app, client) -> str | None:
    """The signed session cookie the test client holds for a logged-in role."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return cookie.value if cookie else None


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_every_page_type_is_accessible_and_fits(app, live_server: str, browser: Browser, viewport):
    problems: list[str] = []
    axe = Axe()
    for stop in stops(every_role=False):
        client = _client_for(app, app.test_client(), stop.role)
        url = url_of(stop)
        client.get(url)  # the test client's session cookie, signed by the app, for the browser
        context = browser.new_context(viewport=VIEWPORTS[viewport], locale="en-GB")
        value = _session_cookie(app, client)
        if value:
            context.add_cookies([{"name": "session", "value": value, "url": live_server}])
        page = context.new_page()
        response = page.goto(live_server + url)
        assert response is not None and response.status == 200, f"{stop.label}: {url}"
        serious = [v for v in axe.run(page).response["violations"] if v["impact"] in SERIOUS]
        problems += [
            f"{stop.label} ({url}): {v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]}"
            for v in serious
        ]
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 1:
            problems.append(f"{stop.label} ({url}): {overflow}px wider than the {viewport} screen")
        context.close()
    assert problems == [], "\n".join(problems)
