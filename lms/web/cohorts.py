"""Cohorts for instructors: create, members (join code, e-mail, CSV), assignments, progress matrix.

Every cohort page finds its cohort through ``access.cohort_for``: another instructor's cohort is a
404. Learners join at ``/join``, accept or decline invitations from their dashboard or from the
invitation's link (``/invitations/<link>``, which asks them to log in or register first), and set a
password from a one-time link at ``/welcome/<token>``. An instructor's answer to adding people
never depends on whether an address has an account.
"""

from __future__ import annotations

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
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms import jobs as background
from lms import mail
from lms.certificates import codes
from lms.content import Catalog
from lms.extensions import db
from lms.models.cohorts import Cohort, Organisation, RosterUpload
from lms.models.hours import WorkshopSession
from lms.models.users import User
from lms.services import (
    ServiceError,
    access,
    accounts,
    clock,
    cohorts,
    exports,
    jobs,
    recovery,
    roster,
)
from lms.web import throttle
from lms.web.forms import (
    AUTO_DIRECTION,
    CHOOSE,
    AddLearnersForm,
    AssignmentForm,
    CertificatesZipForm,
    CohortForm,
    EmptyForm,
    FirstPasswordForm,
    InstructorForm,
    JoinForm,
    LinkCodeForm,
    RosterForm,
    SelectChoice,
    course_choices,
    province_label,
)
from lms.web.guard import public, require_role
from lms.web.language import current_locale
from lms.web.links import in_public_request, public_url
from lms.web.paging import paginate, paginate_list
from lms.web.parsing import parse_id

bp = Blueprint("cohorts", __name__, url_prefix="/teach/cohorts")
bp.before_request(require_role("instructor", "admin"))
join_bp = Blueprint("join", __name__)


@bp.context_processor
def _labels():
    """Stored values (a province, an assignment's status) as the page's language says them."""
    return {
        "province_label": province_label,
        "status_labels": lambda: {k: str(v) for k, v in cohorts.STATUS_LABELS.items()},
    }


def _catalog() -> Catalog:
    return current_app.extensions["lms.catalog"]


def said(message: str, **values) -> Markup:
    """A translated ``message`` (``_("... %(name)s ...")``, not yet filled in) with each text value
    in ``<bdi>``: a name typed in Latin letters reads whole inside an Urdu sentence, and an Urdu
    name inside an English one. The message and the values are escaped; numbers go in as they
    are, so ``%(count)d`` works."""
    filled = {
        k: v if isinstance(v, int) else Markup("<bdi>%s</bdi>") % v for k, v in values.items()
    }
    return escape(message) % filled


@bp.app_template_filter("isolated")
def isolated(text) -> str:
    """``<bdi>`` for plain text (a page title, an ``aria-label``): the Unicode isolates FSI … PDI
    around ``text``, which readers and screen readers do not show."""
    return f"\u2068{text}\u2069"


def _today():
    return clock.now().date()


def _cohort_or_404(cohort_id: int):
    cohort = access.cohort_for(db.session, current_user, cohort_id)
    if cohort is None:
        abort(404)
    return cohort


@bp.route("/")
def index():
    found = paginate(access.cohorts_of(current_user))
    return render_template("cohorts/index.html", cohorts=found)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = CohortForm()
    form.course.choices = course_choices(_catalog())
    form.organisation.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(str(o.id), o.name, render_kw=AUTO_DIRECTION)
        for o in db.session.scalars(select(Organisation).order_by(Organisation.name))
    ]
    status = 200
    if form.validate_on_submit():
        try:
            cohort = cohorts.create(
                db.session, _catalog(), name=form.name.data, course_slug=form.course.data,
                starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                organisation_id=int(form.organisation.data) if form.organisation.data else None,
                by=current_user.id, now=clock.now(),
            )  # fmt: skip
        except ServiceError as error:
            form.form_errors.append(error.message)
            status = 400
        else:
            flash(_("Cohort created. Its join code is %(code)s.", code=cohort.join_code), "success")
            return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    elif form.is_submitted():
        status = 400
    return render_template("cohorts/new.html", form=form), status


def _show(cohort, *, status=200, **forms):
    course = _catalog().course(cohort.course_slug)
    assignment_form = forms.get("assignment_form") or AssignmentForm(formdata=None)
    assignment_form.module.choices = _assignment_choices(cohort)
    invitations = cohorts.invitations_of(db.session, cohort)
    return render_template(
        "cohorts/show.html",
        cohort=cohort,
        course=course,
        instructors=cohorts.instructors(db.session, cohort),
        members=db.session.scalars(
            select(User)
            .where(User.id.in_(cohorts.member_ids(db.session, cohort)))
            .order_by(User.full_name)
        ).all(),
        invitations=invitations,
        invitation_links={i.id: invitation_url(i) for i in invitations if i.declined_at is None},
        direct=access.may_add_directly(current_user),
        assignments=cohorts.assignments_of(db.session, [cohort.id]),
        workshops=db.session.scalars(
            select(WorkshopSession)
            .where(WorkshopSession.cohort_id == cohort.id)
            .order_by(WorkshopSession.held_on.desc())
        ).all(),
        instructor_form=forms.get("instructor_form") or InstructorForm(formdata=None),
        members_form=forms.get("members_form") or AddLearnersForm(formdata=None),
        roster_form=forms.get("roster_form") or RosterForm(formdata=None),
        assignment_form=assignment_form,
        form=EmptyForm(formdata=None),
        error=forms.get("error"),
    ), status


def _assignment_choices(cohort) -> list[SelectChoice]:
    course = _catalog().course(cohort.course_slug)
    choices = [SelectChoice("", CHOOSE), SelectChoice("*", _("The whole course"))]
    if course:
        choices += [
            SelectChoice(
                m.slug,
                _(
                    "Module %(number)d: %(title)s",
                    number=m.number,
                    title=m.title_in(current_locale()),
                ),
            )  # fmt: skip
            for m in course.modules
        ]
    return choices


@bp.route("/<int:cohort_id>")
def show(cohort_id: int):
    return _show(_cohort_or_404(cohort_id))


@bp.route("/<int:cohort_id>/instructors", methods=["POST"])
def add_instructor(cohort_id: int):
    cohort = _cohort_or_404(cohort_id)
    form = InstructorForm()
    if not form.validate_on_submit():
        return _show(cohort, instructor_form=form, status=400)
    try:
        person = cohorts.add_instructor(db.session, cohort, form.email.data)
    except ServiceError as error:
        form.email.errors = [error.message]
        return _show(cohort, instructor_form=form, status=400)
    flash(said(_("%(name)s now teaches this cohort too."), name=person.full_name), "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/members", methods=["POST"])
def add_members(cohort_id: int):
    """Invite people by e-mail (administrators: add people who have an account); all or none."""
    cohort = _cohort_or_404(cohort_id)
    form = AddLearnersForm()
    if not form.validate_on_submit():
        return _show(cohort, members_form=form, status=400)
    try:
        emails = cohorts.parse_emails(form.emails.data)
    except ServiceError as error:
        form.emails.errors = [error.message]
        return _show(cohort, members_form=form, status=400)
    if not access.may_add_directly(current_user):
        invited = cohorts.invite(db.session, cohort, emails, by=current_user.id, now=clock.now())
        if mail.mail_configured():
            ids = [i.id for i in invited.values()]  # read before the commit expires them
            db.session.commit()  # before the task that reads them (a worker may start at once)
            background.tell_invited(ids, current_locale())
            message = _(
                "Invitations are sent. Each new one is e-mailed its link, and the list below "
                "marks those e-mailed. Each person joins the cohort when they accept the "
                "invitation; until then only their e-mail address is listed here."
            )
        else:
            message = _(
                "Invitations are sent. Each person joins the cohort when they accept the "
                "invitation on their dashboard; until then only their e-mail address is listed "
                "here."
            )
        flash(message, "success")
        return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    people = {e: accounts.find_by_email(db.session, e) for e in emails}
    unknown = [e for e, person in people.items() if person is None]
    if unknown:  # an administrator may know which addresses have no account
        message = said(
            _("No account for (nobody was added): %(addresses)s. Use the CSV upload to create "
              "accounts."),
            addresses=", ".join(unknown[:20]),
        )  # fmt: skip
        return _show(cohort, members_form=form, error=message, status=400)
    added = sum(
        cohorts.add_member(
            db.session, _catalog(), cohort, p.id, by=current_user.id, now=clock.now()
        )
        for p in people.values()
    )
    flash(
        ngettext(
            "%(num)d added to the cohort and enrolled in the course.",
            "%(num)d added to the cohort and enrolled in the course.",
            added,
        ),
        "success",
    )
    return redirect(url_for("cohorts.show", cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/invitations/<int:invitation_id>/withdraw", methods=["POST"])
def withdraw_invitation(cohort_id: int, invitation_id: int):
    invitation = access.invitation_to_withdraw(db.session, current_user, cohort_id, invitation_id)
    if invitation is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    cohorts.withdraw(db.session, invitation, by=current_user.id, now=clock.now())
    flash(said(_("The invitation to %(email)s is withdrawn."), email=invitation.email), "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort_id))


@bp.route("/<int:cohort_id>/roster", methods=["POST"])
def upload_roster(cohort_id: int):
    cohort = _cohort_or_404(cohort_id)
    form = RosterForm()
    if not form.validate_on_submit():
        return _show(cohort, roster_form=form, status=400)
    try:
        text = roster.decode(form.file.data.read())
    except ValueError as error:
        form.file.errors = [str(error)]
        return _show(cohort, roster_form=form, status=400)
    upload = RosterUpload(cohort_id=cohort.id, text=text, uploaded_by=current_user.id,
                          uploaded_at=clock.now())  # fmt: skip
    db.session.add(upload)
    db.session.flush()
    return redirect(url_for("cohorts.preview", cohort_id=cohort.id, upload_id=upload.id))


def _upload_or_404(cohort, upload_id: int) -> RosterUpload:
    upload = db.session.get(RosterUpload, upload_id)
    if upload is None or upload.cohort_id != cohort.id:
        abort(404)
    return upload


PREVIEW_ROWS = 500  #: roster rows on one page of the preview


@bp.route("/<int:cohort_id>/roster/<int:upload_id>")
def preview(cohort_id: int, upload_id: int):
    """Every row is checked; the page does not say which addresses already have an account."""
    cohort = _cohort_or_404(cohort_id)
    upload = _upload_or_404(cohort, upload_id)
    checked = roster.read(upload.text)
    status = 200 if checked.ok else 400
    return render_template(
        "cohorts/preview.html", cohort=cohort, upload=upload, preview=checked,
        shown=paginate_list(checked.rows, per_page=PREVIEW_ROWS),
        direct=access.may_add_directly(current_user), form=EmptyForm(),
    ), status  # fmt: skip


@bp.route("/<int:cohort_id>/roster/<int:upload_id>/confirm", methods=["POST"])
def confirm(cohort_id: int, upload_id: int):
    cohort = _cohort_or_404(cohort_id)
    _upload_or_404(cohort, upload_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    upload = roster.claim_upload(db.session, cohort, upload_id)
    if upload is None:
        abort(409, _("This roster has just been imported (the button was pressed twice). "
                     "Nothing was imported twice; the cohort's page lists its learners and "
                     "invitations."))  # fmt: skip
    checked = roster.read(upload.text)
    if not checked.ok:
        abort(400, _("The file has errors; nothing was imported. Fix them and upload it again."))
    direct = access.may_add_directly(current_user)
    if len(checked.rows) > jobs.LARGE:  # a large roster is imported by a job, off the request
        key = f"roster:{upload.id}"
        running = jobs.find_by_key(db.session, key)
        if running is not None:  # Confirm pressed again while the job waits or runs
            if access.job_for(db.session, current_user, running.id) is None:
                abort(409, _("This roster is being imported already; nothing is imported twice."))
            return redirect(url_for("jobs.show", job_id=running.id))
        job = background.start(
            jobs.IMPORT_ROSTER, by=current_user.id, key=key, total=len(checked.rows),
            arguments={"cohort": cohort.id, "upload": upload.id, "direct": direct,
                       "label": cohort.name, "locale": current_locale()},
        )  # fmt: skip
        return redirect(url_for("jobs.show", job_id=job.id))
    imported = roster.import_rows(db.session, _catalog(), cohort, checked.rows, by=current_user.id,
                                  now=clock.now(), direct=direct)  # fmt: skip
    db.session.delete(upload)
    if direct:
        links = [(i.row, link_url(i.setup_token)) for i in imported if i.new]
    else:  # every row alike: its invitation's link, and by e-mail when the site sends mail
        links = roster.invitation_lines(imported, invitation_url)
        ids = [i.invitation.id for i in imported if i.invitation]  # before the commit expires them
        db.session.commit()  # before the tasks that read them (an RQ worker may start at once)
        background.tell_invited(ids, current_locale())
    return render_template(
        "cohorts/imported.html", cohort=cohort, links=links, rows=len(imported), direct=direct,
    )  # fmt: skip


@bp.route("/<int:cohort_id>/assignments", methods=["POST"])
def assign(cohort_id: int):
    cohort = _cohort_or_404(cohort_id)
    form = AssignmentForm()
    form.module.choices = _assignment_choices(cohort)
    if not form.validate_on_submit():
        return _show(cohort, assignment_form=form, status=400)
    module = None if form.module.data == "*" else form.module.data
    cohorts.set_assignment(db.session, _catalog(), cohort, module, form.due_on.data,
                           by=current_user.id, now=clock.now())  # fmt: skip
    flash(_("The assignment is saved; learners see it on their dashboard."), "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort.id))


#: learners per page of the progress matrix (the CSV has them all)
MATRIX_PAGE = 100


def _matrix(cohort, window: slice | None = None):
    return cohorts.matrix(
        db.session, _catalog(), cohort, today=_today(), window=window, **_matrix_order()
    )


def _matrix_order() -> dict[str, bool]:
    """The matrix's filter and sort from the page's address (also a job's arguments)."""
    return {
        "only_overdue": request.args.get("filter") == "overdue",
        "by_progress": request.args.get("sort") == "progress",
    }


@bp.route("/<int:cohort_id>/certificates", methods=["POST"])
def issue_certificates(cohort_id: int):
    """Issue the certificate to every eligible learner of the cohort who has none yet."""
    cohort = _cohort_or_404(cohort_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    job = background.start(
        jobs.ISSUE_CERTIFICATES, by=current_user.id,
        arguments={"cohort": cohort.id, "label": cohort.name, "locale": current_locale()},
    )  # fmt: skip
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/<int:cohort_id>/certificates.zip", methods=["POST"])
def certificates_zip(cohort_id: int):
    """Prepare the cohort's current certificates, one PDF each in the language chosen, as one
    ZIP, by a job; its page offers the file to the instructor who asked for it, and only them.
    Sent again while that job waits or runs, it leads to the same job."""
    cohort = _cohort_or_404(cohort_id)
    form = CertificatesZipForm()
    if not form.validate_on_submit():
        abort(400, " ".join(map(str, form.language.errors)) or None)
    language = form.language.data
    key = f"certificates-zip:{cohort.id}:{language}:{current_user.id}"
    running = jobs.find_by_key(db.session, key)
    if running is not None:
        return redirect(url_for("jobs.show", job_id=running.id))
    try:
        job = background.start(
            jobs.CERTIFICATES_ZIP, by=current_user.id, key=key,
            arguments={"cohort": cohort.id, "label": cohort.name, "language": language,
                       "locale": current_locale()},
        )  # fmt: skip
    except IntegrityError:  # sent twice at the same moment: the other request made the job
        db.session.rollback()
        job = jobs.find_by_key(db.session, key)
        if job is None:
            raise
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/<int:cohort_id>/matrix")
def matrix(cohort_id: int):
    """The progress matrix a page of learners at a time; the filter and the sort apply to the
    whole cohort and are kept in the page links."""
    cohort = _cohort_or_404(cohort_id)
    page = parse_id(request.args.get("page", "1"))
    if page is None:
        abort(400, _("The page must be a whole number from 1."))
    result = _matrix(cohort, slice((page - 1) * MATRIX_PAGE, page * MATRIX_PAGE))
    pages = max(1, -(-result.total // MATRIX_PAGE))
    if page > pages:
        abort(
            404,
            ngettext(
                "There is %(num)d page of learners.", "There are %(num)d pages of learners.", pages
            ),
        )
    kept = {k: request.args[k] for k in ("filter", "sort") if request.args.get(k)}
    # one URL per page for every link of a kind, not a url_for per cell
    # (the learner's id is the last segment of the learner page's URL)
    learner_url = url_for("teach.learner", course_slug=result.course.slug, learner_id=0)
    page_url = url_for("cohorts.matrix", cohort_id=cohort.id, **kept)
    return render_template(
        "cohorts/matrix.html",
        matrix=result,
        rows=result.rows,
        total=result.total,
        first=(page - 1) * MATRIX_PAGE + 1,
        page=page,
        pages=pages,
        page_url=page_url + ("&" if "?" in page_url else "?") + "page=",
        learner_url=learner_url.removesuffix("0"),
        args=request.args,
        waiting=cohorts.waiting_count(db.session, cohort),
        form=EmptyForm(),
        zip_form=CertificatesZipForm(formdata=None, language=current_locale()),
    )


@bp.route("/<int:cohort_id>/matrix.csv")
def matrix_csv(cohort_id: int):
    """The CSV at once for a small cohort; a large one offers to prepare it as a job."""
    cohort = _cohort_or_404(cohort_id)
    if len(cohorts.member_ids(db.session, cohort)) > jobs.LARGE:
        return render_template(
            "cohorts/export.html", cohort=cohort, args=request.args, form=EmptyForm()
        )
    result = _matrix(cohort)
    response = Response(exports.progress_csv(result, result.rows), mimetype="text/csv")
    filename = f"cohort-{cohort.id}-progress.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/<int:cohort_id>/matrix/export", methods=["POST"])
def export_matrix(cohort_id: int):
    """Prepare the progress CSV as a job (the same file ``matrix_csv`` sends a small cohort)."""
    cohort = _cohort_or_404(cohort_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    job = background.start(
        jobs.EXPORT_MATRIX, by=current_user.id,
        arguments={"cohort": cohort.id, "label": cohort.name, "locale": current_locale(),
                   **_matrix_order()},
    )  # fmt: skip
    return redirect(url_for("jobs.show", job_id=job.id))


# --- learners ------------------------------------------------------------------------------------
@join_bp.route("/join", methods=["GET", "POST"])
@public
def join():
    form = JoinForm(request.args) if request.method == "GET" else JoinForm()
    if request.method == "POST":
        if not current_user.is_authenticated:
            abort(401)
        if not form.validate_on_submit():
            return render_template("cohorts/join.html", form=form), 400
        account, address = f"user:{current_user.id}", throttle.address()
        if not (
            throttle.allowed("LMS_JOIN_LIMIT", account)
            and throttle.allowed("LMS_JOIN_ADDRESS_LIMIT", address)
        ):
            abort(429)
        try:
            cohort = cohorts.join(db.session, _catalog(), current_user.id, form.code.data,
                                  today=_today(), now=clock.now())  # fmt: skip
        except ServiceError as error:
            throttle.fail("LMS_JOIN_LIMIT", account)  # wrong codes count; joining does not
            throttle.fail("LMS_JOIN_ADDRESS_LIMIT", address)
            form.code.errors = [error.message]
            return render_template("cohorts/join.html", form=form), 400
        flash(_joined(cohort), "success")
        return redirect(url_for("learner.dashboard"))
    return render_template("cohorts/join.html", form=form)


NO_INVITATION = _l(
    "This invitation is not open any more: it has been accepted, declined or withdrawn, or the "
    "link was not copied whole. Ask your instructor."
)


def invitation_url(invitation) -> str:
    token = cohorts.invitation_token(current_app.secret_key, invitation)
    return public_url(url_for("join.invitation", link=token))


def invitation_mail(invitation_ids: list[int], page_locale: str) -> None:
    """Tell each invited address of its invitation, by e-mail with the invitation's link: run by
    ``lms.jobs.later`` (on an RQ worker, or in the request when there is no queue).

    Each invitation is told once (``cohorts.claim_for_mail``), in the language of the address's
    account if it has one, else of the page that invited it; the message is otherwise the same
    whether or not an account exists. Declined or withdrawn invitations are not told."""
    in_public_request(_invitation_mail, invitation_ids, page_locale)


def _invitation_mail(invitation_ids: list[int], page_locale: str) -> None:
    try:  # every message is read and written while the claim's transaction is open ...
        claimed = cohorts.claim_for_mail(db.session, invitation_ids, now=clock.now())
        messages = [(i.id, *_invitation_message(i, page_locale)) for i in claimed]
        db.session.commit()  # ... and none stays open while the mail server is talked to
    except BaseException:
        db.session.rollback()  # nothing claimed: inviting again tries again
        raise
    unsent = {to for _id, to, _subject, _body in messages}
    try:
        refused = mail.send_all([(to, subject, body) for _id, to, subject, body in messages])
        unsent = {to for to, _reason in refused}
    except mail.MailError as error:
        unsent = set(error.unsent)
        current_app.logger.warning("%s", error)
    finally:  # also when the task is stopped part-way: what may not have gone is not marked
        if unsent:
            cohorts.release_mail_claim(db.session, [m[0] for m in messages if m[1] in unsent])
            db.session.commit()
            current_app.logger.warning("invitations not e-mailed to %d addresses", len(unsent))


def _invitation_message(invitation, page_locale: str) -> tuple[str, str, str]:
    """(to, subject, body) of one invitation's e-mail: in the language of the address's account
    if it has one, else the inviting page's; otherwise the same words whether or not it has one."""
    from lms.web.auth import mail_locale, rendered_mail

    cohort = db.session.get(Cohort, invitation.cohort_id)
    inviter = db.session.get(User, invitation.invited_by) if invitation.invited_by else None
    locale = mail_locale(accounts.find_by_email(db.session, invitation.email), page_locale)
    course = _catalog().course(cohort.course_slug)
    subject, body = rendered_mail(
        "invitation.txt", locale, cohort=cohort.name, link=invitation_url(invitation),
        course=course.title_in(locale) if course else cohort.course_slug,
        inviter=inviter.full_name if inviter else None, base=public_url(""),
    )  # fmt: skip
    return invitation.email, subject, body


@join_bp.route("/invitations/<link>")
@public
def invitation(link: str):
    """An invitation's link: its person logs in (or registers first) and accepts or declines here.

    Before they log in, the page is the same for every invitation: it never says whether the
    address has an account."""
    found = cohorts.invitation_by_token(db.session, current_app.secret_key, link[:200])
    if found is None:
        abort(404, str(NO_INVITATION))
    cohort = db.session.get(Cohort, found.cohort_id)
    mine = current_user.is_authenticated and (
        access.invitation_for(db.session, current_user, found.id) is not None
    )
    here = url_for("join.invitation", link=link)
    return render_template(
        "cohorts/invitation.html", invitation=found, cohort=cohort, mine=mine, here=here,
        course_title=_course_title(cohort), form=EmptyForm(),
    )  # fmt: skip


def _course_title(cohort) -> str:
    """The cohort's course as the reader names it (its slug if the content no longer has it)."""
    course = _catalog().course(cohort.course_slug)
    return course.title_in(current_locale()) if course else cohort.course_slug


def _joined(cohort) -> Markup:
    return said(
        _("You have joined %(cohort)s and are enrolled in %(course)s."),
        cohort=cohort.name,
        course=_course_title(cohort),
    )


def _invitation_or_404(invitation_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    invitation = access.invitation_for(db.session, current_user, invitation_id)
    if invitation is None:
        abort(404)
    return invitation


@join_bp.route("/invitations/<int:invitation_id>/accept", methods=["POST"])
def accept_invitation(invitation_id: int):
    invitation = _invitation_or_404(invitation_id)
    try:
        cohort = cohorts.accept(db.session, _catalog(), invitation, current_user.id,
                                today=_today(), now=clock.now())  # fmt: skip
    except ServiceError as error:
        abort(409, error.message)
    flash(_joined(cohort), "success")
    return redirect(url_for("learner.dashboard"))


@join_bp.route("/invitations/<int:invitation_id>/decline", methods=["POST"])
def decline_invitation(invitation_id: int):
    invitation = _invitation_or_404(invitation_id)
    cohorts.decline(db.session, invitation, current_user.id, now=clock.now())
    flash(
        _("You declined the invitation. The cohort's instructors cannot see your progress."),
        "success",
    )
    return redirect(url_for("learner.dashboard"))


BAD_LINK = _l(
    "This link or code is not valid: it has been used, it has expired, or it was not typed whole. "
    "Ask your instructor or the programme team for a new one."
)


def link_url(code: str) -> str:
    return public_url(url_for("join.welcome", token=code))


def issued_link_page(person, code: str, back: str):
    """The page that shows a one-time link once (never cached), ready to print or read out."""
    response = current_app.make_response(
        render_template(
            "cohorts/issued_link.html", person=person, link=link_url(code),
            code=codes.grouped(code), code_page=public_url(url_for("join.welcome_code")),
            expires=person.setup_expires_at, back=back,
        )
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@join_bp.route("/welcome")
@public
def welcome_code():
    """Type the code from a printed slip instead of following the link."""
    form = LinkCodeForm(request.args)
    if not request.args:
        return render_template("cohorts/welcome_code.html", form=form)
    if not form.validate():
        return render_template("cohorts/welcome_code.html", form=form), 400
    code = codes.normalise(form.code.data)
    if code is None:
        form.code.errors = [
            _("That is not a whole code, or one character is mistyped. Check it and type it again.")
        ]
        return render_template("cohorts/welcome_code.html", form=form), 400
    return redirect(url_for("join.welcome", token=code))


@join_bp.route("/welcome/<token>", methods=["GET", "POST"])
@public
def welcome(token: str):
    """A one-time link (a roster welcome or a reset issued by a person): choose a password."""
    address = throttle.address()
    if not throttle.allowed("LMS_LINK_LIMIT", address):
        abort(429)
    person = recovery.account_for_link(db.session, token[:100], now=clock.now())
    if person is None:
        throttle.fail("LMS_LINK_LIMIT", address)
        abort(404, str(BAD_LINK))
    form = FirstPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            recovery.use_link(db.session, person, form.password.data, now=clock.now())
        except ServiceError as error:
            if error.field is None:
                abort(409, error.message)
            form.password.errors = [error.message]
            status = 400
        else:
            flash(
                _(
                    "Your password is set and any other session of your account has ended. Log "
                    "in with your e-mail and the new password."
                ),
                "success",
            )
            return redirect(url_for("auth.login"))
    elif form.is_submitted():
        status = 400
    return render_template("cohorts/welcome.html", form=form, person=person), status
