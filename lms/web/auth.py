"""Register, log in, log out, profile, password, and recovering a forgotten password by e-mail.

Throttling counts failures (``lms.web.throttle``), never successes, so a classroom behind one
address is not locked out: wrong passwords per address, per account and address together (tight),
and per account from anywhere (a slower ceiling). Once an account is at its ceiling, only an address
that has not failed on it may still try, so a stranger cannot lock the owner out.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from lms import i18n, mail
from lms import jobs as background
from lms.extensions import db, limiter
from lms.models.users import User
from lms.services import ServiceError, accounts, clock, records, recovery
from lms.web import demographics, throttle
from lms.web.forms import (
    ChangePasswordForm,
    EmptyForm,
    FirstPasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
)
from lms.web.guard import public
from lms.web.language import current_locale
from lms.web.links import in_public_request, public_url
from lms.web.session import mark_seen, principal_for

bp = Blueprint("auth", __name__)

LOGIN_FAILED = _l("That e-mail and password do not match an active account.")
BAD_RESET_LINK = _l(
    "This link is not valid: it has been used, it is more than an hour old, or it was not copied "
    "whole. Ask for a new one."
)


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


def _profile_from(form) -> accounts.Profile:
    return accounts.Profile(
        full_name=form.full_name.data or "",
        email=form.email.data if isinstance(form, RegisterForm) else "",
        organisation_type=form.organisation_type.data or "",
        organisation=form.organisation.data or "",
        job_title=form.job_title.data or "",
        province=form.province.data or "",
        district=form.district.data or "",
        **demographics.answers(form),
        asked=True,
    )


def _field_error(form, error: ServiceError) -> None:
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def mail_locale(user: User | None, page_locale: str) -> str:
    """The language of a message to ``user``: the one in their profile, else the language of the
    page that asked for it (the person at the keyboard is most likely the owner of the address)."""
    return (
        i18n.known(getattr(user, "locale", None)) or i18n.known(page_locale) or i18n.DEFAULT_LOCALE
    )


def start_session(user: User) -> None:
    session.clear()
    login_user(principal_for(user))
    mark_seen()


def rendered_mail(template: str, locale: str, **context) -> tuple[str, str]:
    """(subject, body) of ``templates/mail/<template>`` in ``locale``: its first line is the
    subject, the text after the first blank line the body."""
    with force_locale(locale):
        subject, _blank, body = render_template(f"mail/{template}", **context).partition("\n\n")
    return subject.strip(), body


def send_quietly(to: str, template: str, locale: str, **context) -> None:
    """Send a message rendered from ``templates/mail/<template>`` in ``locale`` (the recipient's
    language); a failure is logged, not shown (the page must answer the same whether or not a
    message went out)."""
    subject, body = rendered_mail(template, locale, **context)
    try:
        mail.send_mail(to, subject, body)
    except mail.MailError as error:
        current_app.logger.warning("%s", error)


#: what ``account_mail`` sends: a welcome, "someone tried to register with your address", a reset link
WELCOME, REGISTER_AGAIN, RESET = "registered", "register_again", "reset"


def account_mail(kind: str, email: str, page_locale: str) -> None:
    """Send one of the account messages to the account of ``email`` (normalised), if there is one:
    run by ``lms.jobs.later``, on an RQ worker or in the request. The request only names the
    address, so it does the same work whether or not an account exists (the account is looked up
    here, the link made here); the message is in the account's language, else the page's."""
    in_public_request(_account_mail, kind, email, page_locale)


def _account_mail(kind: str, email: str, page_locale: str) -> None:
    if kind == RESET:
        user = recovery.account_for_reset(db.session, email)
    else:
        user = accounts.find_by_email(db.session, email)
    if user is None:
        return
    locale = mail_locale(user, page_locale)
    if kind == RESET:
        token = recovery.email_reset_token(current_app.config["SECRET_KEY"], user)
        link = public_url(url_for("auth.reset", token=token))
        send_quietly(user.email, "reset.txt", locale, user=user, link=link)
    elif kind in (WELCOME, REGISTER_AGAIN):
        send_quietly(user.email, f"{kind}.txt", locale, base=public_url(""))


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LMS_REGISTER_LIMIT"], methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("learner.dashboard"))
    form = RegisterForm()
    status = 200
    if form.validate_on_submit():
        try:
            result = accounts.register(
                db.session, _profile_from(form), form.password.data, now=clock.now()
            )
        except ServiceError as error:
            _field_error(form, error)
            status = 400
        else:
            # The same answer whether the address was new or already had an account.
            if mail.mail_configured():  # off the request (``lms.jobs.later``)
                db.session.commit()  # before the task that looks the account up (a worker)
                kind = WELCOME if result.user else REGISTER_AGAIN
                background.later("lms.web.auth.account_mail", kind, result.email, current_locale())
            flash(
                _(
                    "Thank you. Log in with your e-mail address and the password you chose. If "
                    "this address already had an account, its owner logs in as before."
                ),
                "success",
            )
            return redirect(
                url_for("auth.login", next=safe_next(request.args.get("next"), "") or None)
            )
    elif form.is_submitted():
        status = 400
    return render_template("auth/register.html", form=form), status


def _login_allowed(account: str, address: str) -> bool:
    if not throttle.allowed("LMS_LOGIN_LIMIT", address):
        return False
    if not throttle.allowed("LMS_LOGIN_PAIR_LIMIT", account, address):
        return False
    if throttle.allowed("LMS_LOGIN_ACCOUNT_LIMIT", account):
        return True
    # The account is at its ceiling: someone is guessing. An address that has not failed on this
    # account (the owner's phone, say) may still try; each failure from it then counts as above.
    return throttle.clean("LMS_LOGIN_PAIR_LIMIT", account, address)


def _login_failed(account: str, address: str) -> None:
    throttle.fail("LMS_LOGIN_LIMIT", address)
    throttle.fail("LMS_LOGIN_PAIR_LIMIT", account, address)
    throttle.fail("LMS_LOGIN_ACCOUNT_LIMIT", account)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("learner.dashboard"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        account = accounts.normalise_email(form.email.data)
        address = throttle.address()
        if not _login_allowed(account, address):
            abort(429)
        user = accounts.authenticate(
            db.session, form.email.data, form.password.data, now=clock.now()
        )
        if user is None:
            _login_failed(account, address)
            form.form_errors.append(str(LOGIN_FAILED))
            status = 401
        else:
            start_session(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next"), url_for("learner.dashboard")))
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    EmptyForm()  # the CSRF token was checked app-wide; nothing else to read
    user = db.session.get(User, current_user.id)
    if user is not None:
        accounts.end_sessions(user)  # a copy of this cookie stops working too
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    response = redirect(url_for("site.index"))
    # the browser's HTTP cache; the service worker drops its saved lessons when the next page
    # says nobody is logged in (see lms.web.offline)
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.route("/account", methods=["GET", "POST"])
def profile():
    user = db.session.get(User, current_user.id)
    form = ProfileForm(obj=user)
    status = 200
    if form.validate_on_submit():
        try:
            accounts.update_profile(user, _profile_from(form), now=clock.now())
        except ServiceError as error:
            _field_error(form, error)
            status = 400
        else:
            flash(_("Your details are saved."), "success")
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
        key = f"user:{user.id}"
        if not first and not throttle.allowed("LMS_PASSWORD_CHECK_LIMIT", key):
            abort(429)
        try:
            current = None if first else form.current_password.data
            accounts.change_password(user, current, form.password.data)
        except ServiceError as error:
            if error.field == "current_password":
                throttle.fail("LMS_PASSWORD_CHECK_LIMIT", key)
            _field_error(form, error)
            status = 400
        else:
            db.session.flush()
            start_session(user)  # the session version moved on: keep this device logged in
            flash(_("Your password is changed."), "success")
            return redirect(url_for("learner.dashboard"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/password.html", form=form, first=first), status


# --- recovery by e-mail --------------------------------------------------------------------------
@bp.route("/forgot", methods=["GET", "POST"])
@public
def forgot():
    """Ask for a reset link by e-mail (when the site sends mail); otherwise, who can help."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.change_password"))
    if not mail.mail_configured():
        if request.method == "POST":
            abort(404, _("This site does not send e-mail. Ask your instructor or the programme "
                         "team for a one-time link."))  # fmt: skip
        return render_template("auth/forgot.html", form=None)
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot.html", form=form), 400 if form.is_submitted() else 200
    email = accounts.normalise_email(form.email.data)
    address = throttle.address()
    if not (
        throttle.allowed("LMS_RESET_LIMIT", address)
        and throttle.allowed("LMS_RESET_EMAIL_LIMIT", email)
    ):
        abort(429)
    throttle.fail("LMS_RESET_LIMIT", address)  # every request counts: each may send a message
    throttle.fail("LMS_RESET_EMAIL_LIMIT", email)
    # The same work and the same page whether or not the address has an account: the task looks
    # the account up, off the request when there is a queue (``lms.jobs.later``).
    background.later("lms.web.auth.account_mail", RESET, email, current_locale())
    return render_template("auth/forgot_sent.html", email=email)


def _link_account_or_error(find):
    """The account a link is for; a wrong or used link is counted per address and refused."""
    address = throttle.address()
    if not throttle.allowed("LMS_LINK_LIMIT", address):
        abort(429)
    person = find()
    if person is None:
        throttle.fail("LMS_LINK_LIMIT", address)
    return person


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset(token: str):
    """An e-mailed reset link: choose a new password; every session of the account ends."""
    secret = current_app.config["SECRET_KEY"]
    person = _link_account_or_error(
        lambda: recovery.account_for_reset_token(db.session, secret, token, now=clock.now())
    )
    if person is None:
        abort(404, str(BAD_RESET_LINK))
    form = FirstPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            recovery.use_reset_token(db.session, person, form.password.data, now=clock.now())
        except ServiceError as error:
            if error.field is None:
                abort(409, error.message)
            _field_error(form, error)
            status = 400
        else:
            session.clear()
            flash(
                _(
                    "Your password is changed and every session of your account has ended. Log "
                    "in with the new password."
                ),
                "success",
            )
            return redirect(url_for("auth.login"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/reset.html", form=form, person=person), status
