"""Certificates for their holders (list, PDF) and for administrators (search, one certificate and
its history, revoke one or several, restore)."""

from __future__ import annotations

import json
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms import i18n
from lms.certificates import codes, ob3
from lms.certificates.view import PDF_LANGUAGES, PDF_SUFFIXES, CertificateView
from lms.certificates.view import view_of as certificate_view
from lms.extensions import db
from lms.services import ServiceError, access, certificates, clock, enrolment
from lms.web.forms import BulkRevokeForm, EmptyForm, RevokeForm, SearchForm
from lms.web.guard import require_role
from lms.web.language import current_locale
from lms.web.links import public_url
from lms.web.paging import paginate
from lms.web.parsing import parse_id
from lms.web.verify import keys as signing_keys
from lms.web.verify import site as ob3_site

bp = Blueprint("certificates", __name__)
admin_bp = Blueprint("admin_certificates", __name__, url_prefix="/admin/certificates")
admin_bp.before_request(require_role("admin"))


def issuer() -> certificates.Issuer:
    config = current_app.config
    return certificates.Issuer(
        config["LMS_ISSUER_NAME"], config["LMS_SIGNATORY_NAME"], config["LMS_SIGNATORY_TITLE"]
    )


def statuses(found, now: datetime) -> dict[int, str]:
    """{certificate id: valid / expired / revoked} for a page listing certificates."""
    return {c.id: certificates.status(c, now) for c in found}


@bp.route("/certificates")
def mine():
    catalog = current_app.extensions["lms.catalog"]
    now = clock.now()
    issued = certificates.of_learner(db.session, current_user.id)
    have = {c.course_slug for c in issued}
    renewed = {c.renews_id: c for c in issued if c.renews_id is not None}
    pending = [
        certificates.eligibility(db.session, course, current_user.id)
        for slug in enrolment.enrolled_course_slugs(db.session, current_user.id)
        if slug not in have and (course := catalog.course(slug)) is not None
    ]
    return render_template(
        "certificates/mine.html",
        issued=list(reversed(issued)),  # the newest first
        statuses=statuses(issued, now),
        renewed=renewed,
        pending=pending,
        grouped=codes.grouped,
        pdf_versions=pdf_versions(),
    )


def view_of(found, now: datetime | None = None) -> CertificateView:
    return certificate_view(
        found,
        verify_url=public_url(f"/verify/{codes.grouped(found.code)}"),
        status=certificates.status(found, now or clock.now()),
        course=current_app.extensions["lms.catalog"].course(found.course_slug),
    )


def pdf_versions() -> list[tuple[str | None, str, str]]:
    """The PDF's versions for a page's links: (the link's ``lang``, its text, ``?lang=``). Each
    language is named in itself, as the language switch does."""
    return [
        ("en", i18n.NATIVE_NAMES["en"], "en"),
        ("ur", i18n.NATIVE_NAMES["ur"], "ur"),
        (None, _("English and Urdu"), "both"),
    ]


def pdf_of(found, language: str = "en") -> bytes:
    from lms.certificates.pdf import render  # fpdf2 loads on the first download, not at start-up

    return render(view_of(found), language)


def pdf_language() -> str:
    """The version ``?lang=`` asks for (``en``, ``ur`` or ``both``); without it, the page's
    language. Anything else is a 400."""
    asked = request.args.getlist("lang")
    if not asked:
        return current_locale()
    if len(asked) != 1 or asked[0] not in PDF_LANGUAGES:
        abort(400, _("Choose the certificate's language: lang=en (English), lang=ur (Urdu) or "
                     "lang=both (English and Urdu on one page)."))  # fmt: skip
    return asked[0]


@bp.route("/certificates/<int:certificate_id>.pdf")
def pdf(certificate_id: int):
    language = pdf_language()
    found = access.certificate_for(db.session, current_user, certificate_id)
    if found is None:
        abort(404)
    response = Response(pdf_of(found, language), mimetype="application/pdf")
    filename = f"{found.serial}{PDF_SUFFIXES[language]}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Content-Language"] = "en, ur" if language == "both" else language
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _signed(found) -> tuple[dict, str]:
    here = ob3_site()
    grouped = codes.grouped(found.code)
    body = ob3.credential(
        found, here, public_url(f"/verify/{grouped}"), public_url(f"/courses/{found.course_slug}")
    )
    return body, ob3.sign(body, signing_keys(), here)


@bp.route("/certificates/<int:certificate_id>.jwt")
def credential_jwt(certificate_id: int):
    """The Open Badges 3.0 credential, signed (VC-JWT): what a wallet or an employer verifies."""
    found = access.certificate_for(db.session, current_user, certificate_id)
    if found is None:
        abort(404)
    _, token = _signed(found)
    response = Response(token, mimetype=ob3.MEDIA_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{found.serial}.jwt"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/certificates/<int:certificate_id>.credential.json")
def credential_json(certificate_id: int):
    """The same credential decoded, to read (the signature is in the .jwt file)."""
    found = access.certificate_for(db.session, current_user, certificate_id)
    if found is None:
        abort(404)
    body, _ = _signed(found)
    response = Response(json.dumps(body, indent=2, ensure_ascii=False) + "\n",
                        mimetype="application/json")  # fmt: skip
    response.headers["Content-Disposition"] = f'attachment; filename="{found.serial}.json"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _index(bulk: BulkRevokeForm, status: int = 200):
    search = SearchForm(request.args)
    if not search.validate():
        abort(400, search.q.errors[0])
    query = search.query()
    found = paginate(certificates.search(query))
    return render_template(
        "certificates/admin.html",
        query=query,
        found=found,
        statuses=statuses(found.items, clock.now()),
        grouped=codes.grouped,
        form=RevokeForm(formdata=None),
        bulk=bulk,
        empty=EmptyForm(),
    ), status


@admin_bp.route("/")
def index():
    return _index(BulkRevokeForm(formdata=None))


def _certificate_or_404(certificate_id: int):
    found = access.certificate_for(db.session, current_user, certificate_id)
    if found is None:
        abort(404)
    return found


@admin_bp.route("/<int:certificate_id>")
def show(certificate_id: int):
    """One certificate: its status, the certificates before and after it, and its history."""
    found = _certificate_or_404(certificate_id)
    chain = certificates.generations(db.session, found)
    return render_template(
        "certificates/show.html",
        certificate=found,
        status=certificates.status(found, clock.now()),
        chain=chain,
        chain_statuses=statuses(chain, clock.now()),
        history=certificates.history(db.session, found.id),
        grouped=codes.grouped,
        pdf_versions=pdf_versions(),
        form=RevokeForm(formdata=None),
        empty=EmptyForm(),
    )


@admin_bp.route("/<int:certificate_id>/revoke", methods=["POST"])
def revoke(certificate_id: int):
    found = _certificate_or_404(certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400, _("Give the reason for revoking (at least a few words)."))
    try:
        certificates.revoke(
            db.session, found, form.reason.data, by=current_user.id, now=clock.now()
        )
    except ServiceError as error:
        abort(409, error.message)
    flash(
        _("%(serial)s is revoked. Its verification page now says so.", serial=found.serial),
        "success",
    )
    return redirect(url_for("admin_certificates.index", q=found.serial))


@admin_bp.route("/revoke", methods=["POST"])
def revoke_many():
    """Revoke every ticked certificate with one reason: all of them or none."""
    form = BulkRevokeForm()
    raw = request.form.getlist("certificate")
    if not form.validate_on_submit():
        form.form_errors.append(_("Nothing was revoked: give the reason (at least a few words)."))
        return _index(form, 400)
    ids = [parse_id(value) for value in raw]
    if not ids or None in ids:
        form.form_errors.append(_("Nothing was revoked: tick the certificates to revoke."))
        return _index(form, 400)
    try:
        done = certificates.revoke_many(
            db.session, ids, form.reason.data, by=current_user.id,
            now=clock.now(),
        )  # fmt: skip
    except ServiceError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _index(form, 409)
    flash(
        ngettext(
            "%(num)d certificate revoked: %(serials)s. Its verification page now says so.",
            "%(num)d certificates revoked: %(serials)s. Their verification pages now say so.",
            len(done),
            serials=", ".join(c.serial for c in done),
        ),
        "success",
    )
    return redirect(url_for("admin_certificates.index", q=request.args.get("q", "")[:100]))


@admin_bp.route("/<int:certificate_id>/restore", methods=["POST"])
def restore(certificate_id: int):
    found = _certificate_or_404(certificate_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        certificates.restore(db.session, found, by=current_user.id, now=clock.now())
    except ServiceError as error:
        abort(409, error.message)
    flash(_("%(serial)s is valid again, with the same code.", serial=found.serial), "success")
    return redirect(url_for("admin_certificates.index", q=found.serial))
