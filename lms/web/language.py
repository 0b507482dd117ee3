"""Which language a page is in, and the switch that changes it.

The choice, in order: the logged-in person's profile; the ``lms_lang`` cookie (a visitor's choice on
this browser); the browser's ``Accept-Language``; English. Choosing a language sets the cookie and,
when logged in, the profile. Logging in keeps what was chosen on this browser (the cookie wins over
an older choice in the profile and is saved there), so the choice survives login.
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from flask import Blueprint, Flask, current_app, has_request_context, redirect, request
from flask_babel import Babel, get_locale, gettext
from flask_login import current_user, user_logged_in
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from wtforms import HiddenField
from wtforms.validators import AnyOf, DataRequired

from lms import i18n
from lms.extensions import db
from lms.services import accounts
from lms.web import labels
from lms.web.errors import error_response
from lms.web.forms import Form
from lms.web.guard import public

bp = Blueprint("language", __name__)

_COOKIE_SECONDS = 365 * 24 * 3600


class LanguageForm(Form):
    lang = HiddenField(validators=[DataRequired(), AnyOf(i18n.LOCALES)])
    next = HiddenField()


#: Babel's ``Locale`` of each interface language, made once: Flask-Babel takes a ``Locale`` from the
#: selector as it is, where it would parse a code on every request
_LOCALES = {code: Locale.parse(code) for code in i18n.LOCALES}


@lru_cache(maxsize=512)
def _best_for(accept_language: str) -> str:
    """The interface language an ``Accept-Language`` header asks for: a browser sends the same
    header on every request, so it is parsed once (the cache is bounded, whatever is sent)."""
    accepted = parse_accept_header(accept_language, LanguageAccept)
    return accepted.best_match(i18n.LOCALES) or i18n.DEFAULT_LOCALE


def requested_locale() -> str:
    """The language this request asks for, by the rule at the top of this module.

    ``current_locale`` gives this answer unless a ``force_locale`` block chose another. A view that
    forces none may ask here directly and skip Flask-Babel's per-request bookkeeping on ``g`` (the
    lesson page: a tenth of its time went there); nothing changes these inputs during a GET, so
    Flask-Babel, asked later in the same request, answers the same."""
    user = current_user._get_current_object()  # one proxy look-up (on every page), not three
    if user.is_authenticated:
        chosen = i18n.known(getattr(user, "locale", None))
        if chosen:
            return chosen
    asking = request._get_current_object()
    cookie = i18n.known(asking.cookies.get(i18n.COOKIE))
    if cookie:
        return cookie
    return _best_for(asking.environ.get("HTTP_ACCEPT_LANGUAGE", ""))


def select_locale() -> Locale:
    """Flask-Babel's locale selector."""
    if not has_request_context():
        return _LOCALES[i18n.DEFAULT_LOCALE]  # the CLI and jobs choose with ``force_locale``
    return _LOCALES[requested_locale()]


def current_locale() -> str:
    """The page's language code (``en`` or ``ur``)."""
    return str(get_locale() or i18n.DEFAULT_LOCALE)


@bp.route("/language", methods=["POST"])
@public
def choose():
    from lms.web.auth import safe_next

    form = LanguageForm()
    target = safe_next(request.form.get("next"), "/")
    if len(request.form.getlist("lang")) != 1 or not form.validate():
        return error_response(400, gettext("Choose English or Urdu."))
    locale = form.lang.data
    if current_user.is_authenticated:
        accounts.set_locale(db.session, current_user.id, locale)
        db.session.commit()
    response = redirect(target, 303)
    _remember(response, locale)
    return response


def _remember(response, locale: str) -> None:
    response.set_cookie(
        i18n.COOKIE,
        locale,
        max_age=_COOKIE_SECONDS,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )


def _keep_choice_on_login(app: Flask, user) -> None:
    cookie = i18n.known(request.cookies.get(i18n.COOKIE)) if request else None
    if cookie and cookie != getattr(user, "locale", None):
        accounts.set_locale(db.session, user.id, cookie)


def init_language(app: Flask) -> None:
    i18n.compile_catalogues()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", i18n.DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(i18n.TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    user_logged_in.connect(_keep_choice_on_login, app)
    from flask_babel import format_date, format_datetime, format_decimal

    app.jinja_env.filters["format_date"] = format_date  # {{ d|format_date("medium") }}
    app.jinja_env.filters["format_datetime"] = format_datetime
    app.jinja_env.filters["format_number"] = format_decimal
    app.jinja_env.filters["bdi"] = labels.bdi  # {{ _("Hello %(name)s", name=user.full_name|bdi) }}
    app.jinja_env.globals["label"] = labels.label  # {{ label("mark", row.status) }}

    @app.context_processor
    def _language():
        locale = current_locale()
        return {
            "page_locale": locale,
            "page_dir": i18n.direction(locale),
            "other_locales": [
                (code, i18n.NATIVE_NAMES[code]) for code in i18n.LOCALES if code != locale
            ],
        }
