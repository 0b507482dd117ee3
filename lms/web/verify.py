"""Public verification of certificates: the Open Badges 2.0 documents (hosted verification), and
the Open Badges 3.0 ones (issuer profile, published keys, revocation status lists) with a page that
checks a pasted or uploaded signed credential.

Shows what the certificate itself shows (name, course, hours, modules, date, issuer) and nothing
else: no e-mail, no organisation, no account data. Rate-limited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from lms.certificates import codes, ob3
from lms.certificates.view import modules_in
from lms.extensions import db, limiter
from lms.services import certificates, clock
from lms.web import throttle
from lms.web.fastpage import SlottedPage, slot
from lms.web.forms import CredentialForm
from lms.web.guard import public
from lms.web.language import current_locale
from lms.web.links import public_url
from lms.web.offline import viewer_headers
from lms.web.parsing import parse_id
from lms.web.security import PageHeaders, PageResponse, csrf_token

bp = Blueprint("verify", __name__)
OB_CONTEXT = "https://w3id.org/openbadges/v2"

#: What ``lms.certificates.ob3`` says of a credential it refuses (English, also for the logs), in
#: the page's language. A message missing here shows in English (a test checks there is none).
OB3_MESSAGES = {
    "Paste the signed credential (the text of the .jwt file) or choose the file.": _l(
        "Paste the signed credential (the text of the .jwt file) or choose the file."
    ),
    "That is too long to be one of our credentials.": _l(
        "That is too long to be one of our credentials."
    ),
    "That is not a signed credential: it should be three blocks of letters and digits joined by "
    "dots (the .jwt file, not the .json one).": _l(
        "That is not a signed credential: it should be three blocks of letters and digits joined "
        "by dots (the .jwt file, not the .json one)."
    ),
    "That is not a signed credential: its header cannot be read.": _l(
        "That is not a signed credential: its header cannot be read."
    ),
    "Its signature does not match any key this issuer published.": _l(
        "Its signature does not match any key this issuer published."
    ),
    "It is not an Open Badges credential.": _l("It is not an Open Badges credential."),
    "It names another issuer.": _l("It names another issuer."),
    "Its dates cannot be read.": _l("Its dates cannot be read."),
    "Its status list is not one this issuer publishes.": _l(
        "Its status list is not one this issuer publishes."
    ),
    "Its revocation status cannot be checked.": _l("Its revocation status cannot be checked."),
}


def ob3_message(text: str) -> str:
    """An ``ob3`` message in the page's language (as it is, if it has no translation)."""
    found = OB3_MESSAGES.get(text)
    return str(found) if found is not None else text


def _limit() -> str:
    return current_app.config["LMS_VERIFY_LIMIT"]


@bp.route("/verify")
@public
@limiter.limit(_limit)
def form():
    typed = request.args.get("code", "").strip()
    if typed:
        code = codes.normalise(typed)
        if code is None:
            message = _(
                "That is not a valid code. Check it and try again: it has 16 letters and digits."
            )
            return _form_page(typed=typed, error=message), 400
        return redirect(url_for("verify.certificate", code=codes.grouped(code)))
    return _form_page()


def _form_page(*, typed: str = "", error: str | None = None, form=None) -> str:
    return render_template(
        "verify/form.html", typed=typed, error=error, credential_form=form or CredentialForm()
    )


# --- Open Badges 3.0 ----------------------------------------------------------------------------
def site() -> ob3.Site:
    config = current_app.config
    return ob3.Site(config["LMS_PUBLIC_URL"], config["LMS_ISSUER_NAME"], config["LMS_ISSUER_EMAIL"])


def keys():
    return current_app.extensions["lms.keys"]


def status_list_jwt(number: int) -> str:
    """Revocation list ``number``, computed from the database now and signed."""
    first = (number - 1) * ob3.STATUS_LIST_BITS
    revoked = certificates.revoked_status_indexes(
        db.session, first, first + ob3.STATUS_LIST_BITS - 1
    )
    here = site()
    return ob3.sign(ob3.status_list_credential(number, revoked, here, clock.now()), keys(), here)


def _our_status_list(url: str) -> str | None:
    """For the verifier: the signed list at ``url`` if it is one of ours (never a fetch)."""
    prefix = site().status_list_url(0)[:-1]
    number = (
        parse_id(url[len(prefix) :]) if isinstance(url, str) and url.startswith(prefix) else None
    )
    if number is None or number > certificates.status_lists_in_use(db.session):
        return None
    return status_list_jwt(number)


def _credential_text(form: CredentialForm) -> str:
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        raw = upload.read(CredentialForm.MAX_BYTES + 1)
        if len(raw) > CredentialForm.MAX_BYTES:
            raise ob3.NotACredential(_("That file is too large to be a credential."))
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            raise ob3.NotACredential(
                _("That file is not a signed credential: choose the .jwt file you downloaded.")
            ) from None
    return form.credential.data or ""


@bp.route("/verify/credential", methods=["POST"])
@public
@limiter.limit(_limit)
def credential():
    form = CredentialForm()
    if not form.validate_on_submit():
        return _form_page(form=form), 400
    try:
        verdict = ob3.verify(
            _credential_text(form), keys().public_keys(), site(), clock.now(), _our_status_list
        )
    except ob3.NotACredential as error:
        form.credential.errors = [ob3_message(str(error))]
        return _form_page(form=form), 400
    return render_template(
        "verify/credential.html",
        verdict=verdict,
        reason=ob3_message(verdict.reason),
        facts=_facts(verdict),
    )


def _facts(verdict: ob3.Verdict) -> dict | None:
    """What the page shows of a verified credential: what the certificate itself shows."""
    body = verdict.credential
    if not body:
        return None
    subject = body.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    names = [
        i.get("identityHash")
        for i in subject.get("identifier") or []
        if isinstance(i, dict) and i.get("identityType") == "name" and not i.get("hashed")
    ]
    issuer = body.get("issuer") or {}
    return {
        "name": names[0] if names else None,
        "achievement": achievement.get("name"),
        "description": body.get("description"),
        "hours": achievement.get("creditsAvailable"),
        "issuer": issuer.get("name") if isinstance(issuer, dict) else None,
        "valid_from": _moment(body.get("validFrom")),
        "valid_until": _moment(body.get("validUntil")),
    }


def _moment(text) -> datetime | None:
    """A credential's ``validFrom``/``validUntil`` (``2026-03-01T10:00:00Z``), for the page to print
    as a date in its language; None if it is not a date with a time zone."""
    if ob3.display_date(text) is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _json(body: dict, mimetype: str = "application/json") -> Response:
    response = jsonify(body)
    response.mimetype = mimetype
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/badges/issuer-v3.json")
@public
def issuer_v3():
    here = site()
    response = _json({**ob3.issuer_profile(here), "jwks_uri": here.jwks_url}, "application/ld+json")
    response.headers["Link"] = f'<{here.jwks_url}>; rel="jwks"'
    return response


def _published(key: dict) -> dict:
    return {**key, "kid": site().key_url(key["kid"])}


@bp.route("/badges/jwks.json")
@public
def jwks():
    """Every public key the platform ever signed with: credentials signed before a rotation still
    verify. Each ``kid`` is the key's own URL, as in the credentials' JWT headers."""
    return _json(
        {"keys": [_published(k) for k in keys().public_keys()]}, "application/jwk-set+json"
    )


@bp.route("/badges/keys/<string:kid>.json")
@public
def key(kid: str):
    found = [k for k in keys().public_keys() if k["kid"] == kid]
    if not found:
        return jsonify(error="There is no key with this id."), 404
    return _json(_published(found[0]), "application/jwk+json")


@bp.route("/badges/status/<int:number>")
@public
@limiter.limit(_limit)
def status_list(number: int):
    if not 1 <= number <= certificates.status_lists_in_use(db.session):
        return jsonify(error="There is no such status list."), 404
    response = Response(status_list_jwt(number), mimetype=ob3.MEDIA_TYPE)
    response.headers["Cache-Control"] = "public, max-age=60"  # computed afresh: a revocation shows
    return response


#: the verification page of each certificate as last shown, per process, with slots for the CSRF
#: token and flashed messages: keyed by everything it shows (the row as read on this request, its
#: status now, the language, the viewer's role), so a revocation, an expiry or a renewal changes
#: the key and shows at once; nothing is kept that the request did not just read
_PAGES: dict[tuple, SlottedPage] = {}
_PAGES_KEPT = 2000
_SLOTS = {"csrf": slot("csrf"), "flashes": slot("flashes")}
_FIXED = (("Content-Type", "text/html; charset=utf-8"), ("Vary", "Accept-Encoding"))
_HTML = PageHeaders(*_FIXED)
_GZIP = PageHeaders(*_FIXED, ("Content-Encoding", "gzip"))


@dataclass(frozen=True)
class _Renewal:
    serial: str
    issued_at: datetime


@bp.route("/verify/<code:code>")
@public
def certificate(code: str):
    """A certificate's public page: one counted request (``throttle.take``, the same limit as the
    other verification pages), one prepared statement, and the page joined from pieces rendered
    the first time this certificate was shown in this state (``fastpage``)."""
    if not throttle.take("LMS_VERIFY_LIMIT", "verify", throttle.address()):
        abort(429)
    found = certificates.verification(db.engine, code)
    if found is None:
        return render_template("verify/result.html", certificate=None, typed=code), 404
    status = certificates.status(found, clock.now())
    viewer = current_user._get_current_object()
    locale = current_locale()
    key = (found, status, locale, viewer.role if viewer.is_authenticated else None)
    page = _PAGES.get(key)
    if page is None:
        page = _PAGES[key] = _page(found, status)
        if len(_PAGES) > _PAGES_KEPT:
            _PAGES.clear()
            _PAGES[key] = page
    values = {
        "csrf": csrf_token(),
        "flashes": render_template("partials/flashes.html") if "_flashes" in session else "",
    }
    who = viewer_headers(viewer, locale)
    if request.accepts_gzip:
        return PageResponse(page.render_gzip(values), _GZIP, who)
    return PageResponse(page.render(values), _HTML, who)


def _page(found: certificates.Shown, status: str) -> SlottedPage:
    grouped = codes.grouped(found.code)
    course = current_app.extensions["lms.catalog"].course(found.course_slug)
    renewed = (
        _Renewal(found.renewed_serial, found.renewed_issued_at) if found.renewed_serial else None
    )
    nav = render_template("partials/nav.html", csrf_value=_SLOTS["csrf"])
    return SlottedPage(
        render_template(
            "verify/result.html", certificate=found, status=status, renewed_by=renewed,
            # the modules as issued, each in the reader's language where the content translates it
            modules=modules_in(course, found.modules, current_locale()),
            grouped=grouped, slots={**_SLOTS, "nav": Markup(nav)},  # noqa: S704 - rendered by Jinja, escaped
            switch_next=url_for("verify.certificate", code=grouped),
        )
    )  # fmt: skip


def assertion(found) -> dict:
    """The hosted Open Badges 2.0 assertion, in English whoever asks (as the signed credential)."""
    with force_locale("en"):
        return _assertion(found)


def _assertion(found) -> dict:
    grouped = codes.grouped(found.code)
    body = {
        "@context": OB_CONTEXT,
        "type": "Assertion",
        "id": public_url(f"/verify/{grouped}.json"),
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": found.recipient_salt,
            "identity": found.recipient_hash,
        },
        "badge": public_url(f"/badges/{found.course_slug}.json"),
        "verification": {"type": "hosted"},
        "issuedOn": found.issued_at.isoformat(),
        "evidence": public_url(f"/verify/{grouped}"),
        "narrative": _(
            "%(name)s completed %(hours)s hours of training and passed every module quiz of "
            "%(course)s. Serial %(serial)s.",
            name=found.name,
            hours=f"{found.minutes / 60:g}",
            course=found.course_title,
            serial=found.serial,
        ),
    }
    if found.expires_at is not None:
        body["expires"] = found.expires_at.isoformat()
    if found.revoked:
        body["revoked"] = True
        body["revocationReason"] = found.revoked_reason
    return body


@bp.route("/verify/<code:code>.json")
@public
@limiter.limit(_limit)
def certificate_json(code: str):
    found = certificates.by_code(db.session, code)
    if found is None:
        return jsonify(error="There is no certificate with this code."), 404
    # Open Badges: a revoked hosted assertion answers 410 Gone with revoked: true; an expired one
    # stays 200 and says so with its ``expires`` date (verifiers report it as expired)
    revoked = certificates.status(found, clock.now()) == certificates.REVOKED
    return jsonify(assertion(found)), (410 if revoked else 200)


@bp.route("/badges/issuer.json")
@public
def issuer():
    config = current_app.config
    return jsonify(
        {
            "@context": OB_CONTEXT,
            "type": "Issuer",
            "id": public_url("/badges/issuer.json"),
            "name": config["LMS_ISSUER_NAME"],
            "url": public_url("/"),
            "email": config["LMS_ISSUER_EMAIL"],
        }
    )


def _course_or_404(course_slug: str):
    course = current_app.extensions["lms.catalog"].course(course_slug)
    if course is None:
        abort(404)
    return course


@bp.route("/badges/<slug:course_slug>.json")
@public
def badge_class(course_slug: str):
    course = _course_or_404(course_slug)
    with force_locale("en"):  # the badge is described in English, as its assertions are
        narrative = _(
            "Complete all %(count)d modules of %(course)s (%(hours)s hours of credited training) "
            "and pass every module quiz.",
            count=len(course.modules),
            course=course.title,
            hours=f"{course.required_minutes / 60:g}",
        )
    return jsonify(
        {
            "@context": OB_CONTEXT,
            "type": "BadgeClass",
            "id": public_url(f"/badges/{course.slug}.json"),
            "name": course.certificate_title,
            "description": course.summary_text,
            "image": public_url(f"/badges/{course.slug}.svg"),
            "criteria": {
                "id": public_url(f"/courses/{course.slug}"),
                "narrative": narrative,
            },
            "issuer": public_url("/badges/issuer.json"),
        }
    )


@bp.route("/badges/<slug:course_slug>.svg")
@public
def badge_image(course_slug: str):
    course = _course_or_404(course_slug)
    svg = render_template("verify/badge.svg", course=course)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
