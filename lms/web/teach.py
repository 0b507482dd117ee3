"""Instructors' tools for hours: workshop sessions and their register, and adjustments.

Every page here needs the instructor or administrator role; which object a person may reach is
decided in ``lms.services.access`` (the one policy point), and anything else is a 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from lms import jobs as background
from lms.content import Catalog
from lms.extensions import db
from lms.models.cohorts import Cohort
from lms.models.hours import MARK_STATUSES, WorkshopMark
from lms.models.users import User
from lms.services import (
    ServiceError,
    access,
    accounts,
    adjustments,
    certificates,
    clock,
    jobs,
    ledger,
    quizzes,
    recovery,
    workshops,
)
from lms.web.certificates import issuer
from lms.web.cohorts import issued_link_page, said
from lms.web.forms import (
    CHOOSE,
    AddLearnersForm,
    AdjustmentForm,
    EmptyForm,
    FindLearnerForm,
    SelectChoice,
    ValidationError,
    WorkshopForm,
    course_choices,
    read_register,
)
from lms.web.guard import require_role
from lms.web.language import current_locale
from lms.web.paging import paginate
from lms.web.parsing import parse_id

bp = Blueprint("teach", __name__, url_prefix="/teach")
bp.before_request(require_role("instructor", "admin"))


def _catalog() -> Catalog:
    return current_app.extensions["lms.catalog"]


def _module_choices(course_slug: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice("", CHOOSE)]
    for course in _catalog():
        if course_slug and course.slug != course_slug:
            continue
        for m in course.modules:
            label = _("Module %(number)d: %(title)s", number=m.number,
                      title=m.title_in(current_locale()))  # fmt: skip
            if not course_slug:
                label = f"{course.code} · {label}"
            choices.append(SelectChoice(f"{course.slug}/{m.slug}", label))
    return choices


@bp.route("/")
def index():
    finder = FindLearnerForm(request.args)
    finder.course.choices = course_choices(_catalog())
    held = paginate(access.workshops_of(current_user))
    return render_template("teach/index.html", workshops=held, finder=finder)


@bp.route("/learners")
def find_learner():
    finder = FindLearnerForm(request.args)
    finder.course.choices = course_choices(_catalog())
    if not finder.validate():
        abort(400, _("Give a learner's e-mail and choose a course."))
    learner = accounts.find_by_email(db.session, finder.email.data)
    found = learner and access.learner_for(db.session, current_user, learner.id, finder.course.data)
    if not found:
        flash(_("No learner with that e-mail is enrolled in that course."), "error")
        return redirect(url_for("teach.index"))
    return redirect(url_for("teach.learner", course_slug=finder.course.data, learner_id=found.id))


@bp.route("/workshops/new", methods=["GET", "POST"])
def new_workshop():
    """Record a session; with ``?cohort=<id>``, for one of the viewer's cohorts and its course."""
    cohort = None
    if request.args.get("cohort"):
        cohort_id = parse_id(request.args["cohort"])
        cohort = cohort_id and access.cohort_for(db.session, current_user, cohort_id)
        if not cohort:
            abort(404)
    form = WorkshopForm()
    form.module.choices = _module_choices(cohort.course_slug if cohort else None)
    status = 200
    if form.validate_on_submit():
        course_slug, _slash, module_slug = form.module.data.partition("/")
        try:
            workshop = workshops.create_workshop(
                db.session,
                _catalog(),
                course_slug=course_slug,
                module_slug=module_slug,
                held_on=form.held_on.data,
                starts_at=form.starts_at.data,
                minutes=form.minutes.data,
                place=form.place.data,
                facilitator=form.facilitator.data,
                by=current_user.id,
                now=clock.now(),
                cohort_id=cohort.id if cohort else None,
            )
        except ServiceError as error:
            form.form_errors.append(error.message)
            status = 400
        else:
            flash(_("The session is recorded. Add the learners who were there."), "success")
            return redirect(url_for("teach.workshop", workshop_id=workshop.id))
    elif form.is_submitted():
        status = 400
    return render_template("teach/new_workshop.html", form=form, cohort=cohort), status


def _workshop_or_404(workshop_id: int):
    workshop = access.workshop_for(db.session, current_user, workshop_id)
    if workshop is None:
        abort(404)
    return workshop


def _register(workshop, *, add_form=None, error=None, status=200):
    rows = db.session.execute(
        select(WorkshopMark, User)
        .join(User, User.id == WorkshopMark.user_id)
        .where(WorkshopMark.session_id == workshop.id)
        .order_by(User.full_name)
    ).all()
    return render_template(
        "teach/workshop.html",
        workshop=workshop,
        course=_catalog().course(workshop.course_slug),
        module=_catalog().module(workshop.course_slug, workshop.module_slug),
        rows=rows,
        statuses=MARK_STATUSES,
        status_labels=workshops.MARK_LABELS,
        changes=workshops.mark_changes(db.session, workshop.id),
        cohort=db.session.get(Cohort, workshop.cohort_id) if workshop.cohort_id else None,
        form=EmptyForm(),
        add_form=add_form or AddLearnersForm(formdata=None),
        error=error,
    ), status


@bp.route("/workshops/<int:workshop_id>")
def workshop(workshop_id: int):
    return _register(_workshop_or_404(workshop_id))


@bp.route("/workshops/<int:workshop_id>/learners", methods=["POST"])
def add_learners(workshop_id: int):
    """Put learners on the register (marked present); all or none."""
    workshop = _workshop_or_404(workshop_id)
    form = AddLearnersForm()
    if not form.validate_on_submit():
        return _register(workshop, add_form=form, status=400)
    emails = [line.strip() for line in form.emails.data.splitlines() if line.strip()]
    if len(emails) > 500:
        return _register(
            workshop, add_form=form, error=_("Add at most %(count)d people at once.", count=500),
            status=400,
        )  # fmt: skip
    problems, learners = [], []
    for email in emails:
        learner = accounts.find_by_email(db.session, email)
        if (
            learner is None
            or access.learner_for(db.session, current_user, learner.id, workshop.course_slug)
            is None
        ):
            problems.append(email)
        else:
            learners.append(learner)
    if problems:
        message = _(
            "Not enrolled in this course (nobody was added): %(addresses)s",
            addresses=", ".join(problems[:20]),
        )
        return _register(workshop, add_form=form, error=message, status=400)
    for learner in learners:
        workshops.mark(db.session, workshop, learner.id, status="present", by=current_user.id,
                       now=clock.now(), catalog=_catalog(), issuer=issuer())  # fmt: skip
    flash(
        ngettext(
            "%(num)d added to the register as present. Change any mark below.",
            "%(num)d added to the register as present. Change any mark below.",
            len(learners),
        ),
        "success",
    )
    return redirect(url_for("teach.workshop", workshop_id=workshop.id))


@bp.route("/workshops/<int:workshop_id>/cohort-members", methods=["POST"])
def add_cohort_members(workshop_id: int):
    """Put every learner of the session's cohort on the register as present (change marks after)."""
    workshop = _workshop_or_404(workshop_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if workshop.cohort_id is None:
        abort(409, _("This session was not recorded for a cohort; add learners by e-mail."))
    cohort = db.session.get(Cohort, workshop.cohort_id)
    job = background.start(
        jobs.REGISTER_COHORT, by=current_user.id,
        arguments={"workshop": workshop.id, "label": cohort.name, "locale": current_locale()},
    )  # fmt: skip
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/workshops/<int:workshop_id>/marks", methods=["POST"])
def save_marks(workshop_id: int):
    """Save every mark on the register at once; a bad row refuses the whole form."""
    workshop = _workshop_or_404(workshop_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    on_register = set(
        db.session.scalars(
            select(WorkshopMark.user_id).where(WorkshopMark.session_id == workshop.id)
        )
    )
    try:
        changes = read_register(request.form, on_register)
    except ValidationError as error:
        return _register(workshop, error=str(error), status=400)
    try:
        for row in changes:
            workshops.mark(
                db.session, workshop, row.learner_id, status=row.status,
                minutes_attended=row.minutes, remark=row.remark, by=current_user.id,
                now=clock.now(), catalog=_catalog(), issuer=issuer(),
            )  # fmt: skip
    except ServiceError as error:
        db.session.rollback()
        return _register(workshop, error=error.message, status=400)
    flash(_("The marks are saved."), "success")
    return redirect(url_for("teach.workshop", workshop_id=workshop.id))


def _learner_or_404(course_slug: str, learner_id: int):
    course = _catalog().course(course_slug)
    learner = course and access.learner_for(db.session, current_user, learner_id, course.slug)
    if not learner:
        abort(404)
    return course, learner


def _learner_page(course, learner, form, status=200):
    certificate = certificates.find_for(db.session, learner.id, course.slug)
    return render_template(
        "teach/learner.html",
        course=course,
        learner=learner,
        ledger=ledger.of_learner(db.session, course, learner.id),
        status=certificates.eligibility(db.session, course, learner.id),
        certificate=certificate,
        certificate_status=certificates.status(certificate, clock.now()) if certificate else None,
        attempts=[
            (module, attempt)
            for module in course.modules
            for attempt in quizzes.history(db.session, learner.id, course.slug, module.slug)
            if not attempt.is_open
        ],
        limited=[
            (module, quizzes.allowance(db.session, module.quiz, learner.id, now=clock.now()))
            for module in course.modules
            if module.quiz is not None and module.quiz.attempts is not None
        ],
        form=form,
        empty=EmptyForm(),
        can_reset=access.account_for_link(db.session, current_user, learner.id) is not None,
    ), status


@bp.route("/courses/<slug:course_slug>/learners/<int:learner_id>/certificate", methods=["POST"])
def issue_certificate(course_slug: str, learner_id: int):
    """Issue now, for an eligible learner (automatic issuing normally does it first)."""
    course, found = _learner_or_404(course_slug, learner_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        issued = certificates.issue(
            db.session, _catalog(), issuer(), found.id, course.slug, now=clock.now(),
            by=current_user.id,
        )  # fmt: skip
    except ServiceError as error:
        abort(409, error.message)
    flash(
        said(_("Certificate %(serial)s is issued to %(name)s."), serial=issued.serial,
             name=found.full_name),
        "success",
    )  # fmt: skip
    return redirect(url_for("teach.learner", course_slug=course.slug, learner_id=found.id))


@bp.route("/courses/<slug:course_slug>/learners/<int:learner_id>")
def learner(course_slug: str, learner_id: int):
    course, found = _learner_or_404(course_slug, learner_id)
    form = AdjustmentForm(formdata=None)
    form.module.choices = _module_choices(course.slug)
    return _learner_page(course, found, form)


@bp.route("/courses/<slug:course_slug>/learners/<int:learner_id>/adjustments", methods=["POST"])
def adjust(course_slug: str, learner_id: int):
    course, found = _learner_or_404(course_slug, learner_id)
    form = AdjustmentForm()
    form.module.choices = _module_choices(course.slug)
    if not form.validate_on_submit():
        return _learner_page(course, found, form, 400)
    try:
        adjustments.adjust(
            db.session, _catalog(), found.id, course_slug=course.slug,
            module_slug=form.module.data.partition("/")[2], minutes=form.minutes.data,
            reason=form.reason.data, by=current_user.id, now=clock.now(), issuer=issuer(),
        )  # fmt: skip
    except ServiceError as error:
        form.form_errors.append(error.message)
        return _learner_page(course, found, form, 400)
    flash(_("The adjustment is saved and shows in the learner's ledger."), "success")
    return redirect(url_for("teach.learner", course_slug=course.slug, learner_id=found.id))


@bp.route(
    "/courses/<slug:course_slug>/learners/<int:learner_id>/quizzes/<slug:module_slug>/attempts",
    methods=["POST"],
)
def grant_attempt(course_slug: str, learner_id: int, module_slug: str):
    """One more attempt at a module quiz, for a learner who has used every attempt."""
    course = _catalog().course(course_slug)
    module = course and course.module(module_slug)
    if not module or module.quiz is None:
        abort(404)
    if not access.may_grant_attempt(db.session, current_user, learner_id, course.slug):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        quizzes.grant_attempt(
            db.session, _catalog(), learner_id, course.slug, module.slug, by=current_user.id,
            now=clock.now(),
        )  # fmt: skip
    except ServiceError as error:
        abort(409, error.message)
    learner = db.session.get(User, learner_id)
    flash(
        said(_("%(name)s may take the Module %(number)d quiz once more."), name=learner.full_name,
             number=module.number),
        "success",
    )  # fmt: skip
    return redirect(url_for("teach.learner", course_slug=course.slug, learner_id=learner_id))


@bp.route("/learners/<int:learner_id>/reset-link", methods=["POST"])
def reset_link(learner_id: int):
    """Issue a one-time link for a learner of the viewer's cohorts (it replaces any earlier one);
    the learner chooses their own password through it. Audited."""
    person = access.account_for_link(db.session, current_user, learner_id)
    if person is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        code = recovery.issue_link(db.session, person, by=current_user.id, now=clock.now())
    except ServiceError as error:
        abort(409, error.message)
    back = request.form.get("back", "")
    return issued_link_page(
        person, code, back if back.startswith("/teach/") else url_for("teach.index")
    )
