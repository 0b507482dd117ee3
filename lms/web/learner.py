"""Learning pages: catalog, course overview, enrolment, dashboard, the lesson reader."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_login import current_user

from lms.content import Catalog
from lms.extensions import db
from lms.services import (
    ServiceError,
    access,
    certificates,
    clock,
    cohorts,
    enrolment,
    knowledge,
    ledger,
    quizzes,
    renewal,
    resume,
)
from lms.web import knowledge as knowledge_pages
from lms.web.forms import EmptyForm
from lms.web.guard import public
from lms.web.language import current_locale, requested_locale
from lms.web.lesson_pages import LessonPages
from lms.web.offline import LESSON_MARK, module_downloads, viewer_headers, wants_less_data
from lms.web.security import PageHeaders, PageResponse, csrf_token
from lms.web.session import with_lesson_seconds

bp = Blueprint("learner", __name__)


def catalog() -> Catalog:
    return current_app.extensions["lms.catalog"]


def get_course_or_404(slug: str):
    course = catalog().course(slug)
    if course is None:
        abort(404)
    return course


@bp.route("/courses")
@public
def courses():
    return render_template("learn/catalog.html", courses=list(catalog()))


@bp.route("/courses/<slug:course_slug>")
@public
def course(course_slug: str):
    course = get_course_or_404(course_slug)
    enrolled = current_user.is_authenticated and enrolment.is_enrolled(
        db.session, current_user.id, course.slug
    )
    results = quizzes.results(db.session, current_user.id, course.slug) if enrolled else {}
    status = certificates.eligibility(db.session, course, current_user.id) if enrolled else None
    progress = status.hours if status else None
    certificate = (
        certificates.find_for(db.session, current_user.id, course.slug) if enrolled else None
    )
    now = clock.now()
    return render_template(
        "learn/course.html",
        course=catalog().course_in(course.slug, current_locale()),  # lesson titles translated
        enrolled=enrolled,
        results=results,
        progress=progress,
        status=status,
        certificate=certificate,
        certificate_status=certificates.status(certificate, now) if certificate else None,
        refresher=renewal.refresher(db.session, course, current_user.id, now=now)
        if certificate
        else None,
        form=EmptyForm(),
        knowledge=knowledge.status(db.session, course, current_user.id) if enrolled else None,
        # "save this module for offline reading" and the printable module, for those who may read
        downloads=module_downloads(course, current_locale())
        if current_user.is_authenticated
        and access.may_read_course(db.session, current_user, course.slug)
        else None,
    )


@bp.route("/courses/<slug:course_slug>/enrol", methods=["POST"])
def enrol(course_slug: str):
    course = get_course_or_404(course_slug)
    try:
        enrolment.enrol(db.session, catalog(), current_user.id, course.slug, now=clock.now())
    except ServiceError as error:
        abort(400, error.message)
    flash(
        _(
            "You are enrolled in %(course)s. Start with the first lesson below.",
            course=course.title_in(current_locale()),
        ),
        "success",
    )
    return redirect(url_for("learner.course", course_slug=course.slug))


@bp.route("/dashboard")
def dashboard():
    slugs = enrolment.enrolled_course_slugs(db.session, current_user.id)
    enrolled = [c for slug in slugs if (c := catalog().course(slug)) is not None]
    results = {c.slug: quizzes.results(db.session, current_user.id, c.slug) for c in enrolled}
    progress = {c.slug: ledger.course_hours(db.session, c, current_user.id) for c in enrolled}
    resume_at = {c.slug: resume.resume_lesson(db.session, c, current_user.id) for c in enrolled}
    locale = current_locale()  # the lesson to continue with, titled in the reader's language
    resume_at = {slug: lesson and lesson.in_locale(locale) for slug, lesson in resume_at.items()}
    assignments = cohorts.assignments_for_learner(
        db.session, catalog(), current_user.id, today=clock.now().date(), locale=locale
    )
    invitations = cohorts.invitations_for(db.session, catalog(), current_user.email, locale=locale)
    return render_template(
        "learn/dashboard.html",
        demographics_form=knowledge_pages.demographics_question(),
        refreshers=renewal.refreshers_for(db.session, catalog(), current_user.id, now=clock.now()),
        invitations=invitations,
        form=EmptyForm(),
        assignments=assignments,
        enrolled=enrolled,
        results=results,
        progress=progress,
        resume_at=resume_at,
        courses=list(catalog()),
    )


@bp.route("/courses/<slug:course_slug>/hours")
def my_hours(course_slug: str):
    """The learner's hours in a course: a bar per module, the total, and the ledger behind it."""
    course = get_course_or_404(course_slug)
    if not enrolment.is_enrolled(db.session, current_user.id, course.slug):
        return render_template("learn/not_enrolled.html", course=course, form=EmptyForm()), 403
    return render_template(
        "learn/hours.html",
        course=course,
        ledger=ledger.of_learner(db.session, course, current_user.id),
    )


_LESSON = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Vary", "Accept-Encoding, Save-Data, Cookie"),  # Cookie: whose page (as the session adds)
    LESSON_MARK,  # the one kind of page the service worker keeps for offline reading
)
_LESSON_HEADERS = PageHeaders(*_LESSON)  # and the security headers
_LESSON_GZIP_HEADERS = PageHeaders(*_LESSON, ("Content-Encoding", "gzip"))


@bp.route("/courses/<slug:course_slug>/<slug:module_slug>/<slug:lesson_slug>")
@with_lesson_seconds
def lesson(course_slug: str, module_slug: str, lesson_slug: str):
    lesson = catalog().lesson(course_slug, module_slug, lesson_slug)
    if lesson is None:
        abort(404)
    viewer = current_user._get_current_object()  # the busiest page: one proxy look-up
    if not access.may_read_course(db.session, viewer, course_slug):
        course = catalog().course(course_slug)
        return render_template("learn/not_enrolled.html", course=course, form=EmptyForm()), 403
    pages: LessonPages = current_app.extensions["lms.lesson_pages"]
    locale = requested_locale()  # nothing forces a language here
    values = pages.values(
        locale,
        viewer.role,
        csrf_token(),
        viewer.lesson_seconds // 60,  # read with the principal, in the same query
        pages.flashes() if "_flashes" in cookie_session else "",
        viewer.id,
    )
    page = pages.page(locale, lesson.key, saver=wants_less_data())
    # for the service worker: whose page this is, in which language (lms.web.offline)
    who = viewer_headers(viewer, locale)
    if request.accepts_gzip:
        return PageResponse(page.render_gzip(values), _LESSON_GZIP_HEADERS, who)
    return PageResponse(page.render(values), _LESSON_HEADERS, who)
