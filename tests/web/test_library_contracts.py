"""What the CSRF token cache and the limiter's request filter take from Flask-WTF and Flask-Limiter:
public API only, checked here so that an upgrade that changes it fails with a message saying what to
re-check (``lms/web/security.py:csrf_token``, ``lms/extensions.py:Limiter``, ``lms/web/guard.py``)."""

from __future__ import annotations

from pathlib import Path

import flask
import pytest
from flask_wtf.csrf import validate_csrf

from lms.extensions import RATE_LIMITED, Limiter, limiter
from lms.web import security
from tests.conftest import log_in_quietly, make_app, soup

LMS = Path(__file__).parents[2] / "lms"
#: views that carry a limiter.limit decorator (the verification pages; more may be added)
LIMITED_ENDPOINTS = {"verify.form", "verify.certificate_json"}
#: views that must never pay for the limiter (the lesson page is the busiest)
UNLIMITED_ENDPOINTS = {"learner.lesson", "learner.courses", "learner.dashboard", "api.heartbeat"}


def test_no_private_name_of_flask_wtf_or_flask_limiter_is_used():
    private = ("wtf-csrf-token", "limit_manager", "_marked_for_limiting", "get_qualified_name")
    for path in LMS.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in private:
            assert name not in text, f"{path}: {name} is a library internal; use public API"


# --- the CSRF token -------------------------------------------------------------------------------
def test_the_kept_token_is_flask_wtfs_own_and_stays_valid(app, client, learner):
    log_in_quietly(client, learner)
    first = soup(client.get("/dashboard")).select_one("header input[name=csrf_token]")["value"]
    later = soup(client.get("/account")).select_one("header input[name=csrf_token]")["value"]
    assert first == later, "the token is signed once per session and kept"
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    with app.app_context(), app.test_request_context():
        flask.session["csrf_token"] = raw
        validate_csrf(later)  # raises if Flask-WTF no longer accepts the kept token
    assert client.post("/logout", data={"csrf_token": later}, csrf=False).status_code == 302, (
        "Flask-WTF refused a token that lms.web.security.csrf_token kept: re-check that "
        "WTF_CSRF_TIME_LIMIT = None still means a token never expires"
    )


def test_tokens_that_expire_are_never_kept(db_url):
    app = make_app(db_url, WTF_CSRF_TIME_LIMIT=3600)
    with app.app_context(), app.test_request_context():
        flask.session["csrf_token"] = "a" * 40
        token = security.csrf_token()
        validate_csrf(token)
    with app.app_context(), app.test_request_context():
        flask.session["csrf_token"] = "a" * 40
        flask.g.pop("csrf_token", None)
        assert (app.secret_key, "a" * 40) not in security._SIGNED


def test_a_kept_token_belongs_to_its_session_token_and_key(app):
    with app.app_context(), app.test_request_context():
        flask.session["csrf_token"] = "b" * 40
        one = security.csrf_token()
    with app.app_context(), app.test_request_context():
        flask.session["csrf_token"] = "c" * 40
        other = security.csrf_token()
        with pytest.raises(Exception):  # noqa: B017,PT011 - Flask-WTF's ValidationError
            validate_csrf(one)
        validate_csrf(other)


# --- the limiter ----------------------------------------------------------------------------------
def test_the_limited_views_are_marked_and_the_busy_ones_not(app):
    marked = {e for e, view in app.view_functions.items() if getattr(view, RATE_LIMITED, False)}
    assert marked >= LIMITED_ENDPOINTS
    assert not UNLIMITED_ENDPOINTS & marked


@pytest.mark.parametrize("app_config", [{"LMS_VERIFY_LIMIT": "2 per minute"}])
def test_a_limited_view_is_limited_and_an_unmarked_page_is_not(client):
    statuses = [client.get("/verify").status_code for _ in range(3)]
    assert statuses == [200, 200, 429], (
        "a view decorated with limiter.limit is no longer limited: re-check lms.extensions.Limiter "
        "against Flask-Limiter's limit() and request_filter"
    )
    assert all(client.get("/courses").status_code == 200 for _ in range(5))
    assert "X-RateLimit-Limit" not in client.get("/courses").headers


def test_limits_other_than_on_views_are_refused(db_url):
    with pytest.raises(TypeError):
        Limiter(key_func=lambda: "x", default_limits=["1 per day"])
    with pytest.raises(TypeError):
        limiter.limit("1 per day")(flask.Blueprint("b", __name__))
    with pytest.raises(RuntimeError, match="views only"):
        make_app(db_url, RATELIMIT_DEFAULT="100 per day")


# --- Werkzeug's header list -----------------------------------------------------------------------
def test_werkzeugs_header_list_is_used_in_one_place_and_its_version_pinned():
    """``lms.web.security.PageResponse`` fills a ``Headers``' private list with pairs checked once:
    only there, and only on the Werkzeug releases pyproject.toml admits (re-check on an upgrade)."""
    from importlib.metadata import version

    from werkzeug.datastructures import Headers

    users = [p for p in LMS.rglob("*.py") if "._list" in p.read_text(encoding="utf-8")]
    assert users == [LMS / "web" / "security.py"]
    pyproject = (LMS.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '"Werkzeug>=3.1,<3.2"' in pyproject
    assert version("werkzeug").startswith("3.1.")
    headers = Headers([("X-A", "1")])
    assert headers._list == [("X-A", "1")]  # the storage PageResponse fills
