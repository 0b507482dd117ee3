"""Certificates for their holders (list, PDF) and for administrators (search, revoke, restore)."""

from __future__ import annotations

import json

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
from flask_login import current_user

from lms.certificates import codes, ob3
from lms.certificates.view import CertificateView
from lms.extensions import db
from lms.services import ServiceError, access, certificates, clock, enrolment
from lms.web.forms import EmptyForm, RevokeForm, SearchForm
from lms.web.guard import require_role
from lms.web.links import public_url
from lms.web.paging import paginate
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


def issue_if_eligible(user_id: int, course_slug: str):
    """For views that may have completed a learner's last requirement."""
    return certificates.issue_if_eligible(
        db.session, current_app.extensions["lms.catalog"], issuer(), user_id, course_slug,
        now=clock.now(),
    )  # fmt: skip


@bp.route("/certificates")
def mine():
    catalog = current_app.extensions["lms.catalog"]
    issued = certificates.of_learner(db.session, current_user.id)
    have = {c.course_slug for c in issued}
    pending = [
        certificates.eligibility(db.session, course, current_user.id)
        for slug in enrolment.enrolled_course_slugs(db.session, current_user.id)
        if slug not in have and (course := catalog.course(slug)) is not None
    ]
    return render_template(
        "certificates/mine.html", issued=issued, pending=pending, grouped=codes.grouped
    )


def view_of(found) -> CertificateView:
    grouped = codes.grouped(found.code)
    return CertificateView(
        name=found.name,
        certificate_title=found.certificate_title,
        course_title=found.course_title,
        minutes=found.minutes,
        modules=tuple(found.modules),
        issued_at=found.issued_at,
        serial=found.serial,
        code=found.code,
        issuer_name=found.issuer_name,
        signatory_name=found.signatory_name,
        signatory_title=found.signatory_title,
        verify_url=public_url(f"/verify/{grouped}"),
        revoked=found.revoked,
    )


@bp.route("/certificates/<int:certificate_id>.pdf")
def pdf(certificate_id: int):
    found = access.certificate_for(db.session, current_user, certificate_id)
    if found is None:
        abort(404)
    from lms.certificates.pdf import render  # fpdf2 loads on the first download, not at start-up

    response = Response(render(view_of(found)), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{found.serial}.pdf"'
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


@admin_bp.route("/")
def index():
    search = SearchForm(request.args)
    if not search.validate():
        abort(400, search.q.errors[0])
    query = search.query()
    return render_template(
        "certificates/admin.html",
        query=query,
        found=paginate(certificates.search(query)),
        grouped=codes.grouped,
        form=RevokeForm(formdata=None),
        empty=EmptyForm(),
    )


def _certificate_or_404(certificate_id: int):
    found = access.certificate_for(db.session, current_user, certificate_id)
    if found is None:
        abort(404)
    return found


@admin_bp.route("/<int:certificate_id>/revoke", methods=["POST"])
def revoke(certificate_id: int):
    found = _certificate_or_404(certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400, "Give the reason for revoking (at least a few words).")
    try:
        certificates.revoke(
            db.session, found, form.reason.data, by=current_user.id, now=clock.now()
        )
    except ServiceError as error:
        abort(409, error.message)
    flash(f"{found.serial} is revoked. Its verification page now says so.", "success")
    return redirect(url_for("admin_certificates.index", q=found.serial))


@admin_bp.route("/<int:certificate_id>/restore", methods=["POST"])
def restore(certificate_id: int):
    found = _certificate_or_404(certificate_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        certificates.restore(db.session, found, by=current_user.id, now=clock.now())
    except ServiceError as error:
        abort(409, error.message)
    flash(f"{found.serial} is valid again, with the same code.", "success")
    return redirect(url_for("admin_certificates.index", q=found.serial))
