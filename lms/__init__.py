"""Children's Champions LMS: the application factory."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from flask import Flask, Request, Response
from jinja2 import FileSystemBytecodeCache
from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.http import parse_accept_header
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.http import parse_cookie
from werkzeug.utils import cached_property

from lms import config as settings
from lms import database  # noqa: F401 - installs the SQLite engine hooks
from lms.extensions import csrf, db, init_migrate, limiter, login_manager
from lms.ratelimit import storage_uri


class Cookies(ImmutableMultiDict):
    """The request's cookies, as Werkzeug's ``ImmutableMultiDict``; ``get`` of a cookie that was not
    sent returns the default without raising and catching a ``BadRequestKeyError`` (an HTTP
    exception made each time: most requests miss two or three of the cookies a page looks for)."""

    def get(self, key, default=None, type=None):  # noqa: A002 - the signature of MultiDict.get
        if key not in self:
            return default
        return super().get(key, default, type)


class LmsRequest(Request):
    """Flask's request, reading the ``Cookie`` header directly when it parses the cookies.

    Werkzeug's ``cookies`` collects every ``Cookie`` header by walking the whole WSGI environment
    (``headers.getlist``), which cost three times the parsing itself on every page; a WSGI environment
    holds at most one (``HTTP_COOKIE``), read here in one look-up and parsed by the same Werkzeug
    function, into ``Cookies``, once per distinct header (``_parsed_cookies``).
    tests/web/test_request_overhead.py compares the two on any header.
    """

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        return _parsed_cookies(self.environ.get("HTTP_COOKIE", ""))

    @property
    def accepts_gzip(self) -> bool:
        """``"gzip" in request.accept_encodings``, Werkzeug's answer, worked out once per distinct
        ``Accept-Encoding`` header: a browser sends the same one with every request, and parsing it
        into an ``Accept`` cost more than joining the lesson page's pieces."""
        return _accepts_gzip(self.environ.get("HTTP_ACCEPT_ENCODING", ""))


@lru_cache(maxsize=256)  # bounded (a few MB at most, whatever is sent)
def _parsed_cookies(cookie_header: str) -> Cookies:
    """One browser sends the same ``Cookie`` header until a cookie changes; parsed once, into a
    ``Cookies`` that nothing can change, so requests may share it."""
    return parse_cookie(cookie_header, cls=Cookies)


@lru_cache(maxsize=256)  # bounded, whatever the headers sent
def _accepts_gzip(accept_encoding: str) -> bool:
    return "gzip" in parse_accept_header(accept_encoding or None)


_NOT_AS_THEY_ARE = frozenset(("location", "content-location"))


class LmsResponse(Response):
    """Flask's response, handing the server its own headers where Werkzeug's copy would only add
    ``Content-Length``.

    Werkzeug's ``get_wsgi_headers`` copies every header into a new ``Headers`` (each value checked
    again) to make a location absolute, drop a length a status may not carry, or add the length.
    For a response with no location, a status that carries a body and nothing else to change, the
    length is added to the response's own headers and those are sent; every other response takes
    Werkzeug's way. tests/web/test_request_overhead.py compares the two on any response.
    """

    def get_wsgi_headers(self, environ) -> Headers:
        status = self.status_code
        if status < 200 or status in (204, 304):
            return super().get_wsgi_headers(environ)
        headers = self.headers
        has_length = False
        for key, _ in headers:
            low = key.lower()
            if low in _NOT_AS_THEY_ARE:
                return super().get_wsgi_headers(environ)
            if low == "content-length":
                has_length = True
        if not has_length and self.automatically_set_content_length and self.is_sequence:
            headers["Content-Length"] = str(sum(len(x) for x in self.iter_encoded()))
        return headers


class LmsFlask(Flask):
    """Flask, asking once per function (not on every request, for each of a dozen hooks) whether a
    view or hook is a coroutine function that needs wrapping (none here is)."""

    request_class = LmsRequest
    response_class = LmsResponse

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_functions: dict = {}

    def ensure_sync(self, func):
        try:
            return self._sync_functions[func]
        except KeyError:
            result = self._sync_functions[func] = super().ensure_sync(func)
            return result
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app: settings -> extensions -> content catalog -> blueprints -> CLI.

    ``config`` overrides settings key by key (tests pass ``{"TESTING": True, ...}``).
    """
    app = LmsFlask(
        __name__,
        template_folder=str(settings.ROOT / "templates"),
        static_folder=None,  # lms.web.assets serves static/ from memory, precompressed
        instance_path=str(settings.ROOT / "instance"),
    )
    app.config.update(settings.load_settings(instance_path=Path(app.instance_path)))
    if config:
        app.config.update(config)
    settings.validate(app.config)
    proxies = app.config["LMS_TRUSTED_PROXIES"]
    if proxies:
        # Behind that many proxies, the client's address and scheme come from X-Forwarded-For and
        # X-Forwarded-Proto (the values the nearest trusted proxies appended); off by default.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    _configure_database(app)
    db.init_app(app)
    init_migrate(app, str(settings.ROOT / "migrations"))  # imports Alembic only when used
    csrf.init_app(app)
    from lms.web.security import check_csrf

    app.before_request(check_csrf)  # first, where Flask-WTF's own hook would be
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app.config["RATELIMIT_STORAGE_URI"])
    limiter.init_app(app)
    login_manager.init_app(app)

    from lms import models  # noqa: F401 - registers every table on the metadata
    from lms.content.compiled import cached_catalog
    from lms.web import init_web

    cache = _cache_dir(app)
    app.extensions["lms.catalog"] = cached_catalog(Path(app.config["LMS_CONTENT_DIR"]), cache)
    if cache is not None:
        app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(cache))
    app.extensions["lms.keys"] = _signing_keys(app)
    init_web(app)
    # The ``lms`` command group is registered as a ``flask.commands`` entry point (pyproject.toml),
    # so ``flask lms check-content`` works even when broken content stops the app from building.
    return app


def _cache_dir(app: Flask) -> Path | None:
    """Where compiled content and templates are kept between processes (None: nowhere)."""
    if not app.config.get("LMS_CACHE_DIR"):
        return None
    folder = Path(app.config["LMS_CACHE_DIR"])
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        app.logger.warning("LMS_CACHE_DIR=%s cannot be created (%s); nothing is kept", folder, exc)
        return None
    return folder


def _configure_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:"):
        if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
            Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.setdefault("connect_args", {}).setdefault("timeout", 15)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _signing_keys(app: Flask):
    """The Open Badges 3.0 signing keys (outside the database). Tests without a configured key
    get a throwaway one; development makes one in the instance folder; production has one."""
    from lms.certificates.keys import KeyRing, SigningKeyError, new_key

    config = app.config
    if config["LMS_ENV"] == "testing" and not (
        config.get("LMS_SIGNING_KEY") or config.get("LMS_SIGNING_KEY_FILE")
    ):
        return KeyRing([new_key()])
    try:
        return KeyRing.from_config(config)
    except SigningKeyError as error:
        raise settings.ConfigError(str(error)) from None
