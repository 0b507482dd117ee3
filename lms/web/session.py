"""Who is asking: a small, read-only principal loaded with one plain query per request.

The same query brings the courses the person is enrolled in, and on a lesson page the time credited
on that lesson, so the lesson page (the busiest page) needs no second query. It runs as a
``database.Prepared`` read (compiled once, run outside any transaction on the connection the process
holds for such reads).

Pages that change an account load the full ``User`` row themselves; everything else reads this.
The session cookie stores ``"<id>.<session_version>"``: logging out, changing or resetting a password
and deactivating an account bump the version, which ends every session of that account on the
server (a copied cookie stops working). The cookie also carries when it was last used (``_seen``,
refreshed at most once a minute); after ``LMS_IDLE_SESSION_MINUTES`` without a request the session
ends.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask, current_app, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, select

from lms import database
from lms.extensions import db, login_manager
from lms.models.enrolment import Enrolment
from lms.models.users import User
from lms.services import access, heartbeat

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class Principal:
    id: int
    email: str
    full_name: str
    role: str
    must_change_password: bool
    session_version: int
    locale: str | None = None  #: the interface language chosen in the profile
    enrolled: frozenset[str] = frozenset()  #: course slugs, as of the start of the request
    #: on a view marked ``@with_lesson_seconds``: the seconds credited on its lesson, as of the start
    lesson_seconds: int = 0

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def sees_figures(self) -> bool:
        return access.may_see_figures(self)

    @property
    def is_staff(self) -> bool:
        """Instructors and administrators: they read every course without enrolling."""
        return access.is_staff(self)


_QUERY = database.Prepared(
    select(
        User.id,
        User.email,
        User.full_name,
        User.role,
        User.must_change_password,
        User.session_version,
        User.active,
        User.locale,
        Enrolment.course_slug,
        heartbeat.lesson_seconds_query(User.id, bindparam("lesson_key")).scalar_subquery(),
    )
    .outerjoin(Enrolment, Enrolment.user_id == User.id)
    .where(User.id == bindparam("user_id"))
)


def with_lesson_seconds(view: F) -> F:
    """Mark a view whose URL names a lesson (course_slug/module_slug/lesson_slug): the principal
    then carries the time credited on it, read in the same query."""
    view.lms_lesson_seconds = True  # type: ignore[attr-defined]
    return view


def _lesson_of_request() -> str:
    asking = request._get_current_object()
    view = current_app.view_functions.get(asking.endpoint or "")
    args = asking.view_args
    if not getattr(view, "lms_lesson_seconds", False) or not args:
        return ""
    return f"{args['course_slug']}/{args['module_slug']}/{args['lesson_slug']}"


def principal_for(user: User) -> Principal:
    return Principal(
        user.id,
        user.email,
        user.full_name,
        user.role,
        user.must_change_password,
        user.session_version,
        user.locale,
        frozenset(),  # only used to start a session; the next request loads the enrolments
    )


def _now_seconds() -> int:
    """Wall-clock seconds for the idle timeout (tests replace this; the domain clock they move to
    other days is ``lms.services.clock``)."""
    return int(time.time())


SEEN_KEY = "_seen"
_SEEN_REFRESH_SECONDS = 60


def mark_seen() -> None:
    session[SEEN_KEY] = _now_seconds()


def _idle_ended() -> bool:
    """True when the session went unused for longer than ``LMS_IDLE_SESSION_MINUTES``; otherwise
    note this request (at most once a minute, so most requests send no new cookie)."""
    now = _now_seconds()
    seen = session.get(SEEN_KEY)
    if isinstance(seen, int):
        if now - seen > current_app.config["LMS_IDLE_SESSION_MINUTES"] * 60:
            return True
        if now - seen < _SEEN_REFRESH_SECONDS:
            return False
    session[SEEN_KEY] = now
    return False


def load_principal(session_id: str) -> Principal | None:
    if _idle_ended():
        session.pop("_user_id", None)
        session.pop(SEEN_KEY, None)
        return None
    user_id, _, version = session_id.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    rows = _QUERY.read(db.engine, {"user_id": int(user_id), "lesson_key": _lesson_of_request()})
    if not rows:
        return None
    id_, email, full_name, role, must_change, session_version, active, locale, _, seconds = rows[0]
    if not active or session_version != int(version):
        return None
    enrolled = frozenset(row[8] for row in rows if row[8] is not None)
    return Principal(
        id_,
        email,
        full_name,
        role,
        bool(must_change),
        session_version,
        locale,
        enrolled,
        int(seconds),
    )


class VerifiedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, remembering the cookies this process has already verified.

    A browser sends the same session cookie on every request until the session changes; checking
    its signature (a key derivation and an HMAC), then base64 and zlib, on each one was a fifth of
    the lesson page's time. A cookie that verified once, with the same key, verifies again: this
    keeps what it held and when it was signed, and still refuses it once it is older than the
    session lifetime. Each request gets its own copy of the data. Saving is Flask's own.
    """

    MAX_REMEMBERED = 4096  # about 2 MB at most; forgotten all at once when full

    def __init__(self) -> None:
        self._verified: dict[tuple[str, str | bytes], tuple[float, dict]] = {}
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer, made once per set of keys: making one (a JSON round trip to test
        its serializer, signer settings) cost more than signing a new visitor's cookie with it."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        try:
            return self._serializers[keys]
        except KeyError:
            if len(self._serializers) >= 8:  # keys change rarely (tests make many apps)
                self._serializers.clear()
            made = self._serializers[keys] = super().get_signing_serializer(app)
            return made

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (value, app.secret_key)
        known = self._verified.get(key)
        if known is not None and 0 <= time.time() - known[0] <= max_age:
            return self.session_class(_own_copy(known[1]))
        serializer = self.get_signing_serializer(app)
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if len(self._verified) >= self.MAX_REMEMBERED:
            self._verified.clear()
        self._verified[key] = (signed_at.timestamp(), data)
        return self.session_class(_own_copy(data))

    def save_session(self, app: Flask, session, response) -> None:
        """Flask's, except for the usual case, a session that was read and not changed: then
        ``Cookie`` joins ``Vary`` as Flask adds it, without Werkzeug parsing the header into a set
        and writing it back (11 µs on every page)."""
        if session and not self.should_set_cookie(app, session):
            if session.accessed:
                vary_on_cookie(response.headers)
            return
        super().save_session(app, session, response)


def vary_on_cookie(headers) -> None:
    """Add ``Cookie`` to the ``Vary`` header, as ``response.vary.add("Cookie")`` does: appended
    with ", " unless already named (in any case), the header made if there is none."""
    vary = headers.get("Vary")
    if not vary:
        headers["Vary"] = "Cookie"
    elif "cookie" not in (name.strip().lower() for name in vary.split(",")):
        headers["Vary"] = f"{vary}, Cookie"


_ATOMIC = frozenset((str, int, bool, float, type(None)))


def _own_copy(data: dict) -> dict:
    """A copy of a session's data the request may change freely: shallow when every value is
    immutable (the usual session: the user, the CSRF token), else deep (flashed messages)."""
    if all(type(value) in _ATOMIC for value in data.values()):
        return dict(data)
    return copy.deepcopy(data)


def _no_identifier() -> str:
    """Flask-Login's session identifier, which only its session protection reads (off here)."""
    return ""


def init_session(app: Flask) -> None:
    app.session_interface = VerifiedCookieSessions()
    # Flask-Login computes a SHA-512 of the address and browser on every request, before it asks
    # whether session protection is on, and stores it in the cookie at login (128 characters a
    # learner's phone sends with every request). With protection off nothing reads it. A private
    # attribute: pyproject.toml pins Flask-Login below 0.7, and tests/web/test_request_overhead.py fails if
    # a request computes the identifier again.
    login_manager._session_identifier_generator = _no_identifier
    login_manager.user_loader(load_principal)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see that page.")
    login_manager.localize_callback = str  # flashed in the page's language (and as plain text)
    login_manager.login_message_category = "info"
    # No IP/browser binding: learners' phones change address all the time ("strong" would log them
    # out), and "basic" only marks a session not fresh, which nothing here asks for (no
    # remember-me cookie, no fresh-login pages). Sessions end when idle, and for every device at
    # once by logging out, a password change or reset, or deactivation (the session version above).
    login_manager.session_protection = None
