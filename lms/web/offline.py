"""Reading without a connection: the service worker, the offline page and the printable module.

The service worker (``static/js/sw.js``, served at ``/sw.js`` so that its scope is the whole site)
keeps the static files, the offline page and the lesson pages a learner opened or saved. It learns
who is reading from two headers that every HTML page carries:

- ``LMS-Viewer``: an opaque id of the logged-in person (a keyed hash of their account number, never
  the e-mail), empty for a visitor. The worker keeps lesson pages in a cache named after it and
  deletes every other person's cache as soon as a page says someone else (or nobody) is logged in,
  before that page is shown.
- ``LMS-Offline: lesson`` on a lesson page: the only pages the worker keeps. Nothing else personal
  (dashboard, hours, certificates, staff pages, ``/api/``) is ever written to its caches.

Logging out also sends ``Clear-Site-Data: "cache"`` (the browser's own HTTP cache).
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import re
from functools import lru_cache

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import HiddenField
from wtforms.validators import AnyOf, DataRequired

from lms import i18n
from lms.extensions import db
from lms.services import access
from lms.web.errors import error_response
from lms.web.forms import EmptyForm, Form
from lms.web.guard import public
from lms.web.language import current_locale

bp = Blueprint("offline", __name__)

VIEWER_HEADER = "LMS-Viewer"
LESSON_MARK = ("LMS-Offline", "lesson")
#: static files every offline page needs, fetched when the worker installs; the rest of the
#: fingerprinted files (the Urdu stylesheet and font) are kept the first time a page uses them
PRECACHE_STATIC = (
    "css/site.css",
    "js/offline.js",
    "js/offline-pages.js",
    "js/heartbeat.js",
    "img/favicon.svg",
)
_VIEWER_IDS: dict[tuple[bytes, int], str] = {}


def viewer_id(user_id: int) -> str:
    """The opaque per-person id the service worker names its lesson cache after."""
    secret = current_app.secret_key
    key = secret.encode() if isinstance(secret, str) else bytes(secret or b"")
    found = _VIEWER_IDS.get((key, user_id))
    if found is None:
        digest = hmac.new(key, f"lms-offline-cache:{user_id}".encode(), hashlib.sha256)
        found = digest.hexdigest()[:24]
        if len(_VIEWER_IDS) > 4096:
            _VIEWER_IDS.clear()
        _VIEWER_IDS[key, user_id] = found
    return found


def viewer_headers(user, locale: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """Who is reading (an opaque id, empty when nobody is logged in), and in which language: what
    the service worker reads off every HTML page."""
    who = viewer_id(user.id) if user.is_authenticated else ""
    return (VIEWER_HEADER, who), ("Content-Language", locale)


def _viewer_headers(response: Response) -> Response:
    """``viewer_headers`` on every HTML page whose view did not set them itself (the lesson and
    verification pages, which know both already, do)."""
    headers = response.headers
    if VIEWER_HEADER in headers or not headers.get("Content-Type", "").startswith("text/html"):
        return response
    (name, viewer), language = viewer_headers(current_user._get_current_object(), current_locale())
    headers[name] = viewer
    headers.setdefault(*language)
    return response


def _offline_page(locale: str) -> str:
    with force_locale(locale):
        return render_template("offline/offline.html", bare=True)


def _worker_script() -> tuple[bytes, bytes]:
    """``static/js/sw.js`` with its version and the files to fetch at install filled in. The
    version is a hash of every fingerprinted static file and of both offline pages, so a release
    that changes any of them installs a new worker, which drops the old static cache."""
    found = current_app.extensions.get("lms.sw")
    if found is not None:
        return found
    assets = current_app.extensions["lms.assets"]
    source = assets["js/sw.js"].body.decode()
    digest = hashlib.sha256()
    for name, asset in sorted(assets.items()):
        digest.update(f"{name}={asset.version}\n".encode())
    for locale in i18n.LOCALES:
        digest.update(_offline_page(locale).encode())
    precache = [f"/static/{name}?v={assets[name].version}" for name in PRECACHE_STATIC]
    script = source.replace('"__LMS_VERSION__"', json.dumps(digest.hexdigest()[:16])).replace(
        "__LMS_PRECACHE__", json.dumps(precache)
    )
    body = script.encode()  # without its comments, as every script (``assets.lean``)
    found = current_app.extensions["lms.sw"] = (body, gzip.compress(body, 9, mtime=0))
    return found


@bp.route("/sw.js")
@public
def service_worker():
    body, gzipped = _worker_script()
    if request.accepts_gzip:
        response = Response(gzipped, mimetype="text/javascript")
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(body, mimetype="text/javascript")
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "no-cache"  # a new release is seen on the next page
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/offline")
@public
def offline():
    """The page the service worker shows for any page it has no copy of while offline. It holds
    nothing personal (no navigation, no form, no token): the list of saved lessons is drawn by
    ``offline.js`` from the browser's own cache. ``?lang=`` picks the language (the worker keeps
    both)."""
    locale = i18n.known(request.args.get("lang"))
    if locale is not None:
        return _offline_page(locale)
    return render_template("offline/offline.html", bare=True)


_ID_RE = re.compile(r'\b(id|for|aria-labelledby|aria-describedby)="([^"]+)"')
_HREF_RE = re.compile(r'\bhref="#([^"]+)"')


def _prefixed_ids(html: str, prefix: str) -> str:
    """A lesson's HTML with every id (and each link to one) prefixed, so that several lessons can
    share one page (footnotes and headings repeat their ids from lesson to lesson)."""
    html = _ID_RE.sub(lambda m: f'{m.group(1)}="{prefix}-{m.group(2)}"', html)
    return _HREF_RE.sub(lambda m: f'href="#{prefix}-{m.group(1)}"', html)


@lru_cache(maxsize=256)
def _printable(catalog, locale: str, course_slug: str, module_slug: str):
    course = catalog.course_in(course_slug, locale)
    module = course.module(module_slug) if course is not None else None
    if module is None:
        return None
    assets = current_app.extensions["lms.assets"]  # the same app as ``catalog``
    lessons = [
        (
            lesson,
            _prefixed_ids(
                lesson_images(lesson.html, assets, saver=False, label=""), f"l{lesson.number}"
            ),
            i18n.direction(lesson.locale),
        )
        for lesson in module.lessons
    ]
    return course, module, lessons


@bp.route("/courses/<slug:course_slug>/<slug:module_slug>/print")
def print_module(course_slug: str, module_slug: str):
    """Every lesson of a module on one page, for printing or saving as a PDF."""
    catalog = current_app.extensions["lms.catalog"]
    found = _printable(catalog, current_locale(), course_slug, module_slug)
    if found is None:
        abort(404)
    course, module, lessons = found
    if not access.may_read_course(db.session, current_user, course_slug):
        return render_template("learn/not_enrolled.html", course=course, form=EmptyForm()), 403
    return render_template("offline/print.html", course=course, module=module, lessons=lessons)


def module_downloads(course, locale: str) -> dict[str, dict]:
    """For "save this module": each module's lesson addresses and about how many KB they weigh."""
    pages = current_app.extensions["lms.lesson_pages"]
    found = {}
    for module in course.modules:
        urls = [f"/courses/{lesson.key}" for lesson in module.lessons]
        size = sum(pages.size(locale, lesson.key) for lesson in module.lessons)
        found[module.slug] = {"urls": " ".join(urls), "kb": max(1, round(size / 1024))}
    return found


# --- data saver ---------------------------------------------------------------------------------
SAVER_COOKIE = "lms_data_saver"
_SAVER_SECONDS = 365 * 24 * 3600
_IMG_RE = re.compile(r"<img\b([^>]*?)\s*/?>")
_ATTR_RE = re.compile(r'([a-z-]+)="([^"]*)"')


def wants_less_data() -> bool:
    """The browser asks for reduced data (``Save-Data: on``), or the reader chose the data saver
    on this phone (a cookie set from the account page)."""
    asking = request._get_current_object()
    return (
        asking.headers.get("Save-Data", "").strip().lower() == "on"
        or asking.cookies.get(SAVER_COOKIE) == "1"
    )


def lesson_images(html: str, assets: dict, *, saver: bool, label: str) -> str:
    """A lesson's images: a picture under ``/static/`` gets its fingerprint (cached for a year),
    every picture loads lazily; with ``saver`` each becomes a link "Show image (N KB)" that loads it
    only on request (``offline.js`` shows it in place; without script the link opens it).
    ``label`` is the translated "Show image (%(kb)s KB)" with ``%(kb)s`` left in."""

    def one(match: re.Match) -> str:
        attrs = dict(_ATTR_RE.findall(match.group(1)))
        src = attrs.get("src", "")
        asset = assets.get(src.removeprefix("/static/")) if src.startswith("/static/") else None
        if asset is not None:
            src = f"{src}?v={asset.version}"
        if not saver:
            kept = {**attrs, "src": src, "loading": "lazy", "decoding": "async"}
            return "<img " + " ".join(f'{k}="{v}"' for k, v in kept.items()) + ">"
        size = max(1, round(len(asset.body) / 1024)) if asset is not None else "?"
        alt = attrs.get("alt", "")
        text = label.replace("%(kb)s", str(size))
        caption = f": {alt}" if alt else ""
        return (
            f'<a class="show-image" href="{src}" data-show-image data-alt="{alt}">'
            f"{text}{caption}</a>"
        )

    return _IMG_RE.sub(one, html)


class DataSaverForm(Form):
    saver = HiddenField(validators=[DataRequired(), AnyOf(("on", "off"))])


@bp.route("/account/data-saver", methods=["POST"])
def data_saver():
    """Turn the data saver on or off on this phone (a cookie: it is about the phone's data plan)."""
    form = DataSaverForm()
    if len(request.form.getlist("saver")) != 1 or not form.validate():
        return error_response(400, _("Choose whether to turn the data saver on or off."))
    on = form.saver.data == "on"
    response = redirect(url_for("auth.profile"), 303)
    if on:
        response.set_cookie(
            SAVER_COOKIE,
            "1",
            max_age=_SAVER_SECONDS,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
            httponly=True,
            samesite="Lax",
        )
        flash(_("Data saver is on: lesson images load only when you ask for them."), "success")
    else:
        response.delete_cookie(SAVER_COOKIE)
        flash(_("Data saver is off: lesson images load with the lesson."), "success")
    return response


def init_offline(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(_viewer_headers)
