"""Register, log in, log out, profile, password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from lms.extensions import db, limiter
from lms.models.users import User
from lms.services import ServiceError, accounts, clock, records
from lms.web.forms import (
    ChangePasswordForm,
    EmptyForm,
    FirstPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
)
from lms.web.guard import public
from lms.web.session import principal_for

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "That e-mail and password do not match an active account."


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: no scheme, no host, no ``//host`` or backslash tricks."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target


def _account_key() -> str:
    email = request.form.get("email", "")[:254]
    return "login-account:" + accounts.normalise_email(email)


def _login_failed(response) -> bool:
    return response.status_code in (400, 401)


def _profile_from(form) -> accounts.Profile:
    return accounts.Profile(
        full_name=form.full_name.data or "",
        email=form.email.data if isinstance(form, RegisterForm) else "",
        organisation_type=form.organisation_type.data or "",
        organisation=form.organisation.data or "",
        job_title=form.job_title.data or "",
        province=form.province.data or "",
        district=form.district.data or "",
    )


def _field_error(form, error: ServiceError) -> None:
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _start_session(user: User) -> None:
    session.clear()
    login_user(principal_for(user))


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LMS_LOGIN_LIMIT"], methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("learner.dashboard"))
    form = RegisterForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                db.session, _profile_from(form), form.password.data, now=clock.now()
            )
        except ServiceError as error:
            _field_error(form, error)
            status = 400
        else:
            _start_session(user)
            flash(f"Welcome, {user.full_name}. Your account is ready.", "success")
            return redirect(safe_next(request.args.get("next"), url_for("learner.courses")))
    elif form.is_submitted():
        status = 400
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LMS_LOGIN_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LMS_LOGIN_ACCOUNT_LIMIT"],
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_login_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("learner.dashboard"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = accounts.authenticate(
            db.session, form.email.data, form.password.data, now=clock.now()
        )
        if user is None:
            form.form_errors.append(LOGIN_FAILED)
            status = 401
        else:
            _start_session(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next"), url_for("learner.dashboard")))
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    EmptyForm()  # the CSRF token was checked app-wide; nothing else to read
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("site.index"))


@bp.route("/account", methods=["GET", "POST"])
def profile():
    user = db.session.get(User, current_user.id)
    form = ProfileForm(obj=user)
    status = 200
    if form.validate_on_submit():
        try:
            accounts.update_profile(user, _profile_from(form))
        except ServiceError as error:
            _field_error(form, error)
            status = 400
        else:
            flash("Your details are saved.", "success")
            return redirect(url_for("auth.profile"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/profile.html", form=form, user=user), status


@bp.route("/account/records.<any(json, zip):kind>")
def my_records(kind: str):
    """The person's own records: JSON, or one CSV file a table in a ZIP."""
    user = db.session.get(User, current_user.id)
    gathered = records.gather(db.session, user, now=clock.now())
    stamp = gathered.generated_at.strftime("%Y%m%d")
    if kind == "json":
        body, mimetype = records.as_json(gathered), "application/json"
    else:
        body, mimetype = records.as_csv_zip(gathered), "application/zip"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="my-records-{stamp}.{kind}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    user = db.session.get(User, current_user.id)
    first = user.must_change_password
    form = FirstPasswordForm() if first else ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            current = None if first else form.current_password.data
            accounts.change_password(user, current, form.password.data)
        except ServiceError as error:
            _field_error(form, error)
            status = 400
        else:
            db.session.flush()
            _start_session(user)  # the session version moved on: keep this device logged in
            flash("Your password is changed.", "success")
            return redirect(url_for("learner.dashboard"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/password.html", form=form, first=first), status
