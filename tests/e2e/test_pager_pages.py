"""Lists long enough to have page links (absent from the page tour's short lists): valid HTML by the
Nu checker, and at 360 px no serious axe-core violation and nothing wider than the screen."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from tests.conftest import log_in_quietly
from tests.pagetour import nu_errors
from tests.web.test_paging import LISTS, _make

ROWS = 120  # three pages of 50


def _long_lists(make_user) -> dict[str, tuple[str, object]]:
    readers = {"admin": make_user(role="admin"), "instructor": make_user(role="instructor")}
    made = set()
    for name, (_, role, _, _, _) in LISTS.items():
        maker_key = "people" if name.startswith("people") else name
        if maker_key not in made:
            _make(name, ROWS, readers[role])
            made.add(maker_key)
    return {name: (url, readers[role]) for name, (url, role, _, _, _) in LISTS.items()}


def test_pages_with_page_links_are_valid_html(app, make_user):
    documents = {}
    for name, (url, reader) in _long_lists(make_user).items():
        client = app.test_client()
        log_in_quietly(client, reader)
        for page in ("1", "2", "3"):
            address = url + ("&" if "?" in url else "?") + "page=" + page
            response = client.get(address)
            assert response.status_code == 200, address
            assert 'class="pager"' in response.get_data(as_text=True), address
            documents[f"{name} ({address})"] = response.get_data(as_text=True)
    errors = nu_errors(documents)
    assert errors == [], "\n".join(errors)


def test_page_links_fit_a_phone_and_pass_axe(app, make_user, live_server: str, browser: Browser):
    problems = []
    axe = Axe()
    for name, (url, reader) in _long_lists(make_user).items():
        client = app.test_client()
        log_in_quietly(client, reader)
        client.get(url)
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-GB")
        cookie = client.get_cookie("session")
        context.add_cookies([{"name": "session", "value": cookie.value, "url": live_server}])
        page = context.new_page()
        address = url + ("&" if "?" in url else "?") + "page=2"
        response = page.goto(live_server + address)
        assert response is not None and response.status == 200, address
        violations = axe.run(page).response["violations"]
        problems += [
            f"{name}: {v['id']}: {v['help']}"
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 1:
            problems.append(f"{name}: {overflow}px wider than a 360 px screen")
        context.close()
    assert problems == [], "\n".join(problems)
