"""Work done once instead of on every request: the session cookie's signature, the rate limiter's
bookkeeping on pages without a limit, a thread per counted hit. Limits, sessions and their expiry
still apply; the timings are in bench/ (``python -m bench.overhead``)."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from lms.extensions import limiter
from lms.ratelimit import InlineSweepMemoryStorage
from lms.web import session as session_module
from tests.conftest import log_in_quietly, soup


def _count(monkeypatch, owner, name) -> list:
    calls = []
    real = getattr(owner, name)

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


def test_a_page_without_a_limit_skips_the_limiter_and_a_limited_one_does_not(
    client, learner, monkeypatch
):
    resolved = _count(monkeypatch, limiter.limit_manager, "resolve_limits")
    page = client.get("/courses")
    assert page.status_code == 200
    assert "X-RateLimit-Limit" not in page.headers
    assert resolved == []
    limited = client.get("/verify")  # the verification pages carry a limit (login counts
    assert limited.status_code == 200  # failures itself, in lms/web/throttle.py)
    assert resolved
    assert "X-RateLimit-Limit" in limited.headers


def test_the_memory_storage_counts_without_starting_a_thread_per_hit(monkeypatch):
    storage = InlineSweepMemoryStorage()
    started = _count(monkeypatch, threading.Thread, "start")
    for _ in range(50):
        storage.incr("verify/127.0.0.1", 60)
    assert storage.get("verify/127.0.0.1") == 50
    assert started == []


def test_the_app_serves_memory_limits_from_that_storage(app):
    assert isinstance(limiter.storage, InlineSweepMemoryStorage)


def test_a_session_cookie_is_verified_once_per_process(client, learner, monkeypatch):
    log_in_quietly(client, learner)
    client.get("/dashboard")  # the session gains its CSRF token: a new cookie from here on
    checked = _count(monkeypatch, URLSafeTimedSerializer, "loads")
    for _ in range(3):
        assert client.get("/dashboard").status_code == 200
    assert len(checked) == 1


def test_a_changed_cookie_is_still_refused(client, learner):
    log_in_quietly(client, learner)
    assert client.get("/dashboard").status_code == 200
    cookie = client.get_cookie("session")
    client.set_cookie("session", cookie.value[:-2] + ("AA" if cookie.value[-2:] != "AA" else "BB"))
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_remembered_cookie_still_expires_with_the_session_lifetime(
    app, client, learner, monkeypatch
):
    log_in_quietly(client, learner)
    assert client.get("/dashboard").status_code == 200  # verified and remembered
    lifetime = app.permanent_session_lifetime.total_seconds()
    real_time = session_module.time.time
    monkeypatch.setattr(session_module.time, "time", lambda: real_time() + lifetime + 60)
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_each_request_gets_its_own_copy_of_the_session(client, learner):
    """A flashed message, added to the session's list, must not stay in the remembered copy."""
    log_in_quietly(client, learner)
    client.get("/dashboard")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Shown once.")]
    first = soup(client.get("/dashboard")).get_text()
    assert "Shown once." in first
    assert "Shown once." not in soup(client.get("/dashboard")).get_text()


@pytest.mark.parametrize(
    "vary", [None, "", "Accept-Encoding", "Accept-Encoding, Save-Data", "cookie", "Accept, Cookie"]
)
def test_vary_on_cookie_writes_what_werkzeug_writes(vary):
    from flask import Response

    from lms.web.session import vary_on_cookie

    ours, theirs = Response(), Response()
    for response in (ours, theirs):
        if vary is not None:
            response.headers["Vary"] = vary
    vary_on_cookie(ours.headers)
    theirs.vary.add("Cookie")
    assert ours.headers.getlist("Vary") == theirs.headers.getlist("Vary")


def test_a_page_read_with_a_session_varies_on_cookie_and_sets_none(client, learner):
    log_in_quietly(client, learner)
    client.get("/dashboard")  # the session gains its CSRF token
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert "Cookie" in [v.strip() for v in response.headers["Vary"].split(",")]
    assert "Set-Cookie" not in response.headers


def test_csrf_is_checked_on_every_unsafe_method_and_only_there(client, learner, monkeypatch):
    from lms.extensions import csrf

    checked = _count(monkeypatch, csrf, "protect")
    log_in_quietly(client, learner)
    assert client.get("/dashboard").status_code == 200
    assert client.head("/dashboard").status_code == 200
    assert checked == []
    refused = client.post("/language", data={"lang": "ur", "next": "/"}, csrf=False)
    assert refused.status_code == 400
    assert len(checked) == 1
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)("/api/heartbeat", json={}, csrf=False)
        assert response.status_code == 400  # the missing token, before any method check
    assert len(checked) == 4


def test_no_request_computes_flask_logins_session_identifier(client, learner, monkeypatch):
    """Session protection is off, so the SHA-512 of address and browser Flask-Login would compute
    on every request (and store in the cookie at login) is never computed."""
    import flask_login.utils

    from tests.conftest import login

    def refuse(*args):
        raise AssertionError("Flask-Login computed its session identifier")

    # the identifier's hash, looked up when Flask-Login's generator runs (nothing here signs a
    # remember-me cookie, the only other use of this name)
    monkeypatch.setattr(flask_login.utils, "sha512", refuse)
    login(client, learner)
    assert client.get("/dashboard").status_code == 200
    with client.session_transaction() as session:
        assert session.get("_id", "") == ""  # no 128 characters in every request's cookie
    assert client.post("/logout").status_code in (302, 303)


def test_the_lesson_page_sends_each_security_header_once_and_varies_on_cookie(client, learner):
    from lms.web.security import SECURITY_HEADERS
    from tests.factories import enrol

    enrol(learner)
    log_in_quietly(client, learner)
    client.get("/dashboard")  # the session gains its CSRF token
    for headers in ({}, {"Accept-Encoding": "gzip"}):
        response = client.get("/courses/demo/01-basics/welcome", headers=headers)
        assert response.status_code == 200
        for _, name, value in SECURITY_HEADERS:
            assert response.headers.getlist(name) == [value], name
        assert response.headers.getlist("Cache-Control") == ["private, no-cache"]
        vary = [v.strip() for v in ",".join(response.headers.getlist("Vary")).split(",")]
        assert sorted(vary) == ["Accept-Encoding", "Cookie", "Save-Data"]


@given(st.lists(st.text(alphabet=st.characters(max_codepoint=255), max_size=40), max_size=4))
@settings(max_examples=200, deadline=None)
def test_the_cookies_are_werkzeugs_for_any_cookie_header(parts):
    from flask import Request
    from werkzeug.test import EnvironBuilder

    from lms import LmsRequest

    environ = EnvironBuilder("/").get_environ()
    if parts:
        environ["HTTP_COOKIE"] = ";".join(parts)  # a WSGI environment's text is Latin-1
    ours, werkzeugs = LmsRequest(environ).cookies, Request(environ).cookies
    assert list(ours.items(multi=True)) == list(werkzeugs.items(multi=True))
    assert isinstance(ours, type(werkzeugs))
    for name in ("session", "lms_lang", "missing", *(p.partition("=")[0].strip() for p in parts)):
        assert ours.get(name) == werkzeugs.get(name)
        assert ours.get(name, "default") == werkzeugs.get(name, "default")
        assert ours.get(name, -1, type=int) == werkzeugs.get(name, -1, type=int)
        assert ours.getlist(name) == werkzeugs.getlist(name)


def test_the_app_parses_requests_with_it(app):
    from lms import LmsRequest

    assert app.request_class is LmsRequest


def test_a_page_asking_for_cookies_that_were_not_sent_raises_no_key_error(
    client, learner, monkeypatch
):
    """The language and data-saver cookies are looked up on every page; a missing one is answered
    without Werkzeug making (and catching) a BadRequestKeyError."""
    from werkzeug import exceptions

    made = _count(monkeypatch, exceptions.BadRequestKeyError, "__init__")
    log_in_quietly(client, learner)
    client.get("/dashboard")  # the session gains its CSRF token
    assert client.get_cookie("lms_lang") is None
    assert client.get("/dashboard").status_code == 200
    assert client.get("/courses").status_code == 200
    from lms import i18n
    from lms.web.offline import SAVER_COOKIE

    # (Werkzeug's response headers raise the same error for a header not set; those are not ours)
    assert [args[1] for args in made if args[1] in (i18n.COOKIE, SAVER_COOKIE, "session")] == []


_ENCODING_TOKENS = [*"gzip;q=0.5, *", "identity", "deflate", "br", "GZIP", "q=0", "x-gzip"]


@given(st.lists(st.sampled_from(_ENCODING_TOKENS), max_size=12).map("".join))
@settings(max_examples=300, deadline=None)
def test_accepts_gzip_is_werkzeugs_answer_for_any_header(header):
    from flask import Request
    from werkzeug.test import EnvironBuilder

    from lms import LmsRequest

    environ = EnvironBuilder("/").get_environ()
    if header:
        environ["HTTP_ACCEPT_ENCODING"] = header
    assert LmsRequest(environ).accepts_gzip == ("gzip" in Request(environ).accept_encodings)


_HEADER_CHOICES = [
    ("Location", "/dashboard"),
    ("Location", "https://example.org/x y"),
    ("Content-Location", "/über"),
    ("Content-Length", "3"),
    ("Content-Type", "text/html; charset=utf-8"),
    ("Vary", "Cookie"),
    ("X-Frame-Options", "DENY"),
    ("Content-Encoding", "gzip"),
]


@given(
    st.sampled_from([100, 200, 201, 204, 301, 302, 303, 304, 400, 404, 500]),
    st.lists(st.sampled_from(_HEADER_CHOICES), max_size=5),
    st.sampled_from(["list", "bytes", "generator", "empty"]),
)
@settings(max_examples=300, deadline=None)
def test_the_apps_response_sends_the_headers_werkzeug_would(status, headers, body):
    from flask import Response  # Flask's, which the app's extends (its default type is HTML)
    from werkzeug.test import EnvironBuilder

    from lms import LmsResponse

    def made(cls):
        content = {
            "list": [b"abc", b"de"],
            "bytes": b"hello",
            "generator": (part for part in [b"ab"]),
            "empty": b"",
        }[body]
        return cls(content, status=status, headers=headers)

    environ = EnvironBuilder("/courses/x", base_url="https://lms.example.org/").get_environ()
    ours = made(LmsResponse).get_wsgi_headers(environ)
    werkzeugs = Response.get_wsgi_headers(made(Response), environ)
    assert ours.to_wsgi_list() == werkzeugs.to_wsgi_list()


def test_the_lesson_page_is_sent_without_copying_its_headers_and_without_the_pool(
    client, learner, monkeypatch
):
    """The app's response hands its own headers to the server (Werkzeug copies them, checking each
    again), and the principal is read on the connection held for reads (no pool checkout)."""
    from sqlalchemy import event
    from werkzeug.wrappers import Response

    from lms.extensions import db
    from tests.factories import enrol

    assert client.application.response_class.__name__ == "LmsResponse"
    copies = _count(monkeypatch, Response, "get_wsgi_headers")
    enrol(learner)
    log_in_quietly(client, learner)
    client.get("/dashboard")  # the session gains its CSRF token
    checkouts = []
    listener = lambda *args: checkouts.append(args)  # noqa: E731
    event.listen(db.engine.pool, "checkout", listener)
    try:
        copies.clear()
        response = client.get(
            "/courses/demo/01-basics/welcome", headers={"Accept-Encoding": "gzip"}
        )
    finally:
        event.remove(db.engine.pool, "checkout", listener)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(response.get_data()))
    assert copies == []  # LmsResponse's own get_wsgi_headers answered, not Werkzeug's copy
    assert checkouts == []
    assert client.post("/logout").status_code in (302, 303)
    copies.clear()
    redirect = client.get("/courses/demo/01-basics/welcome")  # logged out: to the login page
    assert redirect.status_code == 302
    assert len(copies) == 1  # a Location: Werkzeug's way


def test_the_lesson_page_on_https_also_carries_hsts_once(client, learner):
    from tests.factories import enrol

    enrol(learner)
    log_in_quietly(client, learner)
    response = client.get("/courses/demo/01-basics/welcome", base_url="https://localhost")
    assert response.status_code == 200
    assert response.headers.getlist("Strict-Transport-Security") == ["max-age=31536000"]


_VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=30)


@given(
    st.lists(st.tuples(st.sampled_from(["Content-Type", "Vary", "X-A"]), _VALUE), max_size=4),
    st.lists(st.tuples(st.sampled_from(["X-LMS-Viewer", "Content-Language"]), _VALUE), max_size=2),
)
@settings(max_examples=200, deadline=None)
def test_a_page_response_has_the_headers_werkzeug_would_give_it(fixed, extra):
    """PageResponse places its checked fixed headers in Werkzeug's list as they are: the result is
    what Flask's Response makes of the same pairs, and it still behaves as Werkzeug's headers."""
    from flask import Response  # Flask's, which the app's extends (its default type is HTML)

    from lms.web.security import PAGE_HEADERS, PageHeaders, PageResponse

    ours = PageResponse(b"<p>x</p>", PageHeaders(*fixed), tuple(extra))
    werkzeugs = Response(b"<p>x</p>", headers=(*fixed, *PAGE_HEADERS, *extra))
    assert ours.headers.to_wsgi_list() == werkzeugs.headers.to_wsgi_list()
    assert ours.status_code == 200 and ours.get_data() == b"<p>x</p>"
    ours.headers["Strict-Transport-Security"] = "max-age=1"
    ours.headers.add("Vary", "Cookie")
    assert ours.headers.getlist("Vary") == [v for k, v in fixed if k == "Vary"] + ["Cookie"]
    assert ours.headers["Strict-Transport-Security"] == "max-age=1"


def test_a_page_response_checks_its_headers_once_and_takes_only_checked_ones():
    from lms.web.security import PageHeaders, PageResponse

    with pytest.raises(ValueError, match="newline"):
        PageHeaders(("X-A", "one\r\nSet-Cookie: x=1"))
    with pytest.raises(ValueError, match="newline"):
        PageResponse(b"", PageHeaders(), (("X-LMS-Viewer", "a\nb"),))  # the per-request part too
    with pytest.raises(TypeError):
        PageResponse(b"", (("Content-Type", "text/html"),))  # unchecked pairs are refused


def test_the_lesson_page_checks_only_its_per_request_headers(client, learner, monkeypatch):
    """Making the lesson page's response checks the headers that change per request (who is reading,
    the language, and the length Werkzeug sets), not the fixed ones again (checked at import)."""
    from werkzeug.datastructures import headers as werkzeug_headers

    from lms.web import security
    from tests.factories import enrol

    enrol(learner)
    log_in_quietly(client, learner)
    client.get("/dashboard")  # the session gains its CSRF token
    inside, checked = [], []
    real_check, real_init = werkzeug_headers._str_header_value, security.PageResponse.__init__

    def check(value):
        if inside:
            checked.append(value)
        return real_check(value)

    def init(self, *args, **kwargs):
        inside.append(True)
        try:
            real_init(self, *args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(werkzeug_headers, "_str_header_value", check)
    monkeypatch.setattr(security.PageResponse, "__init__", init)
    response = client.get("/courses/demo/01-basics/welcome", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert len(response.headers) > 10
    per_request = [response.headers["LMS-Viewer"], "en", response.headers["Content-Length"]]
    assert sorted(checked) == sorted(per_request)
