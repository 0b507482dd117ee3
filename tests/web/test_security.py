"""The security baseline (DESIGN.md §5): headers, cookies, no inline script, secrets, sizes, methods."""

from __future__ import annotations

import pytest

from lms import create_app
from lms.config import ConfigError
from tests.conftest import GOOD_CONTENT, login, soup
from tests.factories import enrol
from tests.web.test_access_matrix import MATRIX

PAGES = sorted(
    {url for (method, _), (url, _) in MATRIX.items() if method == "GET" and "{" not in url}
)


def test_every_response_carries_the_security_headers(client):
    response = client.get("/")
    csp = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_error_pages_carry_them_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("role", ["anonymous", "learner", "admin"])
def test_no_page_has_inline_script_or_style(client, make_user, login_as, role):
    if role != "anonymous":
        user = make_user(role=role)
        enrol(user, "demo")
        login_as(user)
    for url in PAGES:
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        page = soup(response)
        for script in page.find_all("script"):
            assert script.get("src"), f"{url}: inline script"
        assert not page.find_all("style"), f"{url}: inline style element"
        for tag in page.find_all(True):
            assert "style" not in tag.attrs, f"{url}: style attribute on <{tag.name}>"
            handlers = [a for a in tag.attrs if a.startswith("on")]
            assert not handlers, f"{url}: event handler attribute {handlers}"


def test_session_cookie_is_httponly_and_lax(client, learner):
    response = login(client, learner)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over plain http


def test_production_cookies_are_secure_and_hsts_is_sent(db_url, monkeypatch):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("LMS_SECRET_KEY", "kR3v9-Qz_Lw2pX8mNa4TbYc7Jd1HfG6s0Ue5Vi")
    monkeypatch.setenv("LMS_DATABASE_URL", db_url)
    monkeypatch.setenv("LMS_CONTENT_DIR", str(GOOD_CONTENT))
    monkeypatch.setenv("LMS_RATELIMIT_STORAGE_URL", "memory://")
    monkeypatch.setenv("LMS_SIGNING_KEY", signing_key_set())
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = app.test_client().get("/", base_url="https://lms.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def signing_key_set() -> str:
    from lms.certificates.keys import new_key_set

    return new_key_set()


@pytest.mark.parametrize("secret", [None, "", "too-short"])
def test_production_refuses_to_start_without_a_real_secret(monkeypatch, secret, db_url):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    if secret is not None:
        monkeypatch.setenv("LMS_SECRET_KEY", secret)
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("LMS_DATABASE_URL", db_url)
    monkeypatch.setenv("LMS_CONTENT_DIR", str(GOOD_CONTENT))
    with pytest.raises(ConfigError, match="LMS_SECRET_KEY"):
        create_app()


def test_oversized_body_is_413_with_a_page(client):
    response = client.post("/login", data={"email": "a" * (5 * 1024 * 1024)})
    assert response.status_code == 413
    assert soup(response).h1.get_text(strip=True)


@pytest.mark.parametrize(
    ("method", "url"), [("DELETE", "/courses"), ("POST", "/courses/demo"), ("PUT", "/login")]
)
def test_wrong_method_is_405_with_a_page(client, method, url):
    response = client.open(url, method=method)
    assert response.status_code == 405
    assert soup(response).h1.get_text(strip=True)


def test_malformed_form_values_are_400_not_500(client):
    response = client.post(
        "/register",
        data={
            "full_name": "x" * 5000,
            "email": "not-an-email",
            "organisation_type": "martian",
            "province": "Atlantis",
            "password": "\x00" * 3,
            "confirm": "",
        },
    )
    assert response.status_code == 400


def test_the_lesson_pages_csrf_token_is_stable_and_accepted(client, learner, login_as):
    enrol(learner, "demo")
    login_as(learner)
    lesson = "/courses/demo/01-basics/welcome"
    first = soup(client.get(lesson)).select_one("meta[name=csrf-token]")["content"]
    again = soup(client.get(lesson)).select_one("meta[name=csrf-token]")["content"]
    assert first == again  # signed once per session token, then reused
    logout = soup(client.get(lesson)).select_one("form[action='/logout'] input[name=csrf_token]")
    assert logout["value"] == first
    body = {"lesson": "demo/01-basics/welcome", "seconds": 5, "seq": 1, "tab": "tab-12345"}
    accepted = client.post("/api/heartbeat", json=body, headers={"X-CSRFToken": first}, csrf=False)
    assert accepted.status_code == 200
    forged = client.post(
        "/api/heartbeat",
        json={**body, "seq": 2},
        headers={"X-CSRFToken": first[:-2] + "xx"},
        csrf=False,
    )
    assert forged.status_code == 400


def test_only_views_with_a_limit_are_rate_limited(client, learner):
    assert "X-RateLimit-Limit" not in client.get("/courses").headers
    refused = client.post("/register", data={"email": learner.email})
    assert refused.status_code == 400
    assert "X-RateLimit-Limit" in refused.headers
