"""Response headers in one place: CSP, framing, sniffing, referrer, caching, and gzip.

The Content-Security-Policy allows scripts and styles from this site only: no inline script, no
inline style, no third-party host. Tested in tests/web/test_security.py.
"""

from __future__ import annotations

import gzip

from flask import Flask, current_app, request, session
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

from lms import LmsResponse
from lms.extensions import csrf

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
COMPRESSIBLE = ("text/html", "application/json", "text/csv", "application/ld+json")
MIN_GZIP_BYTES = 1024


#: Set on every response unless the view set its own; (lower-case name, name, value).
SECURITY_HEADERS = tuple(
    (name.lower(), name, value)
    for name, value in (
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    )
)


_SECURITY_NAMES = frozenset(low for low, _, _ in SECURITY_HEADERS)
_SECURITY_PAIRS = tuple((name, value) for _, name, value in SECURITY_HEADERS)
_NO_STORE_TYPES = ("text/html", "application/json")
_PAGE_CACHE = ("Cache-Control", "private, no-cache")

#: What ``_headers`` adds to an HTML page (``PageResponse`` comes with them).
PAGE_HEADERS = (*_SECURITY_PAIRS, _PAGE_CACHE)


class PageHeaders:
    """A page's fixed headers followed by ``PAGE_HEADERS``, checked once, when the page's module is
    imported, by Werkzeug's own ``Headers`` (a newline in a value raises ``ValueError``)."""

    __slots__ = ("pairs",)

    def __init__(self, *pairs: tuple[str, str]):
        self.pairs = tuple(Headers((*pairs, *PAGE_HEADERS)))


class PageResponse(LmsResponse):
    """An HTML page whose headers are made whole with the response, for the busiest pages (the lesson
    and verification pages): its ``PageHeaders`` and then ``extra`` (who is reading, in which
    language), so ``_headers`` has nothing to look for (HSTS still joins on HTTPS).

    Werkzeug's ``Headers`` checks every value again on every response; the fixed ones were checked
    when their ``PageHeaders`` was made, so they are placed in the list as they are (Werkzeug 3.1's
    ``Headers._list``: pinned in pyproject.toml, and tests/web/test_request_overhead.py compares the
    result with Werkzeug's). ``extra`` is checked here, as usual."""

    def __init__(self, body: bytes, fixed: PageHeaders, extra: tuple[tuple[str, str], ...] = ()):
        if not isinstance(fixed, PageHeaders):
            raise TypeError("PageResponse takes its fixed headers as a PageHeaders")
        headers = Headers()
        headers._list = list(fixed.pairs)
        headers.extend(extra)
        super().__init__(body, headers=headers)


def _mimetype(headers) -> str:
    """``response.mimetype`` without parsing the parameters (``; charset=...``) each time."""
    return headers.get("Content-Type", "").partition(";")[0].strip().lower()


def _headers(response: Response) -> Response:
    headers = response.headers
    if isinstance(response, PageResponse):
        if request.is_secure and "Strict-Transport-Security" not in headers:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        return response
    present = {name.lower() for name, _ in headers.items()}  # one pass, not one per header
    if present.isdisjoint(_SECURITY_NAMES):
        headers.extend(_SECURITY_PAIRS)  # the usual case: the view set none of them
    else:
        headers.extend([(n, v) for low, n, v in SECURITY_HEADERS if low not in present])
    if "strict-transport-security" not in present and request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if "cache-control" not in present and _mimetype(headers) in _NO_STORE_TYPES:
        # Pages can hold personal data and a CSRF token: the browser may keep them but must ask again.
        headers[_PAGE_CACHE[0]] = _PAGE_CACHE[1]
    return response


def _compress(response: Response) -> Response:
    if (
        "Content-Encoding" in response.headers  # first: the lesson page comes compressed
        or response.direct_passthrough
        or response.status_code < 200
        or response.status_code in (204, 304)
        or _mimetype(response.headers) not in COMPRESSIBLE
        or not request.accepts_gzip
    ):
        return response
    body = response.get_data()
    if len(body) < MIN_GZIP_BYTES:
        return response
    response.set_data(gzip.compress(body, 6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


#: (secret key, the session's raw token) -> that token as Flask-WTF's ``generate_csrf`` signed it.
_SIGNED: dict[tuple[str | bytes, str], str] = {}
_SIGNED_MAX = 4096


def csrf_token() -> str:
    """Flask-WTF's ``generate_csrf``, called once per session token in this process and kept.

    Flask-WTF signs the session's token afresh on every request (a key derivation and an HMAC on
    the busiest page). With ``WTF_CSRF_TIME_LIMIT = None`` the signature's timestamp is never
    checked (the token "is valid for the life of the session"), so the first signed token stays
    valid; what is kept is ``generate_csrf``'s own answer, keyed by the documented session key
    ``WTF_CSRF_FIELD_NAME`` and the signing key. Validation is Flask-WTF's own.
    """
    app = current_app._get_current_object()
    config = app.config
    if config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    secret = config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    raw = session.get(field)
    signed = _SIGNED.get((secret, raw)) if isinstance(raw, str) else None
    if signed is None:
        signed = generate_csrf()  # makes the session's token if it has none yet
        raw = session.get(field)
        if isinstance(raw, str):
            if len(_SIGNED) >= _SIGNED_MAX:
                _SIGNED.clear()
            _SIGNED[secret, raw] = signed
    return signed


def check_csrf() -> None:
    """Flask-WTF's check of the CSRF token, on the requests it checks (``WTF_CSRF_METHODS``: every
    method but GET, HEAD, OPTIONS and TRACE); a bad or missing token is its 400.

    Flask-WTF's default hook (off here: ``WTF_CSRF_CHECK_DEFAULT``) looks up the view's exemptions on
    every request before looking at the method. Nothing here is exempt, and ``@csrf.exempt`` would
    not exempt a view from this check: every state change carries a token.
    """
    config = current_app.config
    if config["WTF_CSRF_ENABLED"] and request.method in config["WTF_CSRF_METHODS"]:
        csrf.protect()


def init_security(app: Flask) -> None:
    # Flask-WTF offers ``generate_csrf`` as a global and from a context processor; both give way.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
    app.after_request(_compress)
    app.after_request(_headers)
