"""Administration: people (roles, deactivation), organisations, the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.extensions import db
from lms.models.users import User
from lms.services import ServiceError, audit, certificates, clock, erasure, people, recovery
from lms.web.cohorts import issued_link_page, said
from lms.web.forms import (
    EmptyForm,
    EraseForm,
    OrganisationForm,
    RoleForm,
    SearchForm,
    organisation_type_label,
    province_label,
    role_label,
)
from lms.web.guard import require_role
from lms.web.paging import paginate

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_role("admin"))


@bp.context_processor
def _labels():
    """Stored values (a role, a province, an audit action) as the page's language says them."""
    return {
        "role_label": role_label,
        "province_label": province_label,
        "organisation_type_label": organisation_type_label,
        "action_label": audit.action_label,
        "detail_label": audit.detail_label,
    }


@bp.route("/")
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users")
def users():
    search = SearchForm(request.args)
    if not search.validate():
        abort(400, search.q.errors[0])
    query = search.query()
    return render_template(
        "admin/users.html", query=query, found=paginate(people.search(query)),
        role_form=RoleForm(formdata=None), form=EmptyForm(),
    )  # fmt: skip


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def change_role(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400, _("Choose a role."))
    try:
        people.change_role(db.session, user, form.role.data, by=current_user.id, now=clock.now())
    except ServiceError as error:
        abort(409, error.message)
    flash(
        said(_("%(name)s is now %(role)s."), name=user.full_name, role=role_label(user.role)),
        "success",
    )
    return redirect(url_for("admin.users", q=user.email))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def set_active(user_id: int):
    user = _user_or_404(user_id)
    if not EmptyForm().validate_on_submit() or request.form.get("active") not in ("0", "1"):
        abort(400)
    try:
        people.set_active(db.session, user, request.form["active"] == "1", by=current_user.id,
                          now=clock.now())  # fmt: skip
    except ServiceError as error:
        abort(409, error.message)
    if user.active:
        message = said(_("%(name)s is reactivated."), name=user.full_name)
    else:
        message = said(
            _("%(name)s is deactivated; their records and certificates stay."), name=user.full_name
        )
    flash(message, "success")
    return redirect(url_for("admin.users", q=user.email))


@bp.route("/users/<int:user_id>/erase", methods=["GET", "POST"])
def erase(user_id: int):
    """Erase a person on request (confirmation page, then the erasure)."""
    user = _user_or_404(user_id)
    form = EraseForm()
    status = 200
    if form.validate_on_submit():
        try:
            revoked = erasure.erase(
                db.session, user, reason=form.reason.data, withdraw_certificates=form.withdraw.data,
                by=current_user.id, now=clock.now(),
            )  # fmt: skip
        except ServiceError as error:
            form.form_errors.append(error.message)
            status = 409 if error.field is None else 400
        else:
            flash(
                ngettext(
                    "Account %(id)d is erased; %(num)d certificate revoked. Its figures in "
                    "reports are unchanged.",
                    "Account %(id)d is erased; %(num)d certificates revoked. Its figures in "
                    "reports are unchanged.",
                    revoked,
                    id=user.id,
                ),
                "success",
            )
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        status = 400
    held = certificates.of_learner(db.session, user.id)
    return render_template("admin/erase.html", form=form, person=user, held=held), status


@bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
def reset_link(user_id: int):
    """Issue a one-time link for anyone (it replaces any earlier one). Audited."""
    user = _user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        code = recovery.issue_link(db.session, user, by=current_user.id, now=clock.now())
    except ServiceError as error:
        abort(409, error.message)
    return issued_link_page(user, code, url_for("admin.users", q=user.email))


@bp.route("/organisations", methods=["GET", "POST"])
def organisations():
    form = OrganisationForm()
    status = 200
    if form.validate_on_submit():
        try:
            people.add_organisation(db.session, form.name.data, form.organisation_type.data,
                                    now=clock.now())  # fmt: skip
        except ServiceError as error:
            form.form_errors.append(error.message)
            status = 400
        else:
            flash(_("Organisation added."), "success")
            return redirect(url_for("admin.organisations"))
    elif form.is_submitted():
        status = 400
    return render_template(
        "admin/organisations.html", form=form, organisations=people.organisations(db.session)
    ), status


@bp.route("/audit")
def audit_log():
    events = paginate(audit.newest_first())
    actors = {
        u.id: u.full_name
        for u in db.session.query(User).filter(
            User.id.in_({e.actor_id for e in events if e.actor_id})
        )
    }
    return render_template("admin/audit.html", events=events, actors=actors)
