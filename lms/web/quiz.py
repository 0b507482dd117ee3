"""Module quizzes: the overview with attempt history, taking an attempt, and the review."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from lms.content import Catalog
from lms.content.questions import AnswerRejected
from lms.extensions import db
from lms.services import ServiceError, access, clock, quizzes
from lms.web.certificates import issuer
from lms.web.forms import EmptyForm
from lms.web.language import current_locale

bp = Blueprint("quiz", __name__)


def _catalog() -> Catalog:
    return current_app.extensions["lms.catalog"]


def _module_or_404(course_slug: str, module_slug: str):
    module = _catalog().module(course_slug, module_slug)
    if module is None or module.quiz is None:
        abort(404)
    return _catalog().course(course_slug), module


def _not_enrolled(course):
    return render_template("learn/not_enrolled.html", course=course, form=EmptyForm()), 403


@bp.route("/courses/<slug:course_slug>/<slug:module_slug>/quiz")
def overview(course_slug: str, module_slug: str):
    course, module = _module_or_404(course_slug, module_slug)
    if not access.may_read_course(db.session, current_user, course.slug):
        return _not_enrolled(course)
    attempts = quizzes.history(db.session, current_user.id, course.slug, module.slug)
    result = quizzes.results(db.session, current_user.id, course.slug).get(module.slug)
    return render_template(
        "quiz/overview.html",
        course=course,
        module=module,
        quiz=module.quiz,
        attempts=[a for a in attempts if not a.is_open],
        open_attempt=next((a for a in attempts if a.is_open), None),
        best=result.best_score if result else None,
        passed=bool(result and result.passed),
        allowance=quizzes.allowance(db.session, module.quiz, current_user.id, now=clock.now()),
        form=EmptyForm(),
        english_text=module.quiz.in_locale(current_locale()).locale != current_locale(),
    )


@bp.route("/courses/<slug:course_slug>/<slug:module_slug>/quiz/start", methods=["POST"])
def start(course_slug: str, module_slug: str):
    course, module = _module_or_404(course_slug, module_slug)
    if not access.may_read_course(db.session, current_user, course.slug):
        return _not_enrolled(course)
    try:
        attempt = quizzes.start_or_resume(
            db.session, _catalog(), current_user.id, course.slug, module.slug, now=clock.now()
        )
    except quizzes.NoAttemptsLeft as error:
        abort(409, error.message)
    db.session.flush()
    return redirect(url_for("quiz.attempt", attempt_id=attempt.id))


def _attempt_page(attempt, form: EmptyForm, *, errors: str | None = None, status: int = 200):
    course = _catalog().course(attempt.course_slug)
    module = _catalog().module(attempt.course_slug, attempt.module_slug)
    if module is None or module.quiz is None:
        abort(404)
    # shown in the reader's language where the quiz is translated: the same questions, choice ids
    # and order (the attempt's); saving and grading read the original (``quizzes.save``/``submit``)
    shown_quiz = module.quiz.in_locale(current_locale())
    # not translated into the page's language: the page says so and marks the texts as English
    english_text = shown_quiz.locale != current_locale()
    if attempt.is_open:
        return render_template(
            "quiz/take.html",
            course=course,
            module=module,
            attempt=attempt,
            shown=quizzes.shown_questions(shown_quiz, attempt),
            saved=attempt.responses or {},
            form=form,
            request_key=quizzes.new_request_key(),
            error=errors,
            english_text=english_text,
        ), status
    return render_template(
        "quiz/review.html",
        course=course,
        module=module,
        attempt=attempt,
        items=quizzes.review(shown_quiz, attempt),
        own=attempt.user_id == current_user.id,
        english_text=english_text,
    ), status


@bp.route("/quiz/attempts/<int:attempt_id>")
def attempt(attempt_id: int):
    found = access.attempt_for(db.session, current_user, attempt_id)
    if found is None:
        abort(404)
    return _attempt_page(found, EmptyForm())


def _wants_json() -> bool:
    """The quiz page's script asks for JSON (``Accept: application/json``); a form gets a page."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _done(attempt_id: int, **answer):
    """Where the browser goes next: the attempt's page (its review once submitted). The script
    gets the address as JSON and goes there itself, so the flashed message shows on that page."""
    url = url_for("quiz.attempt", attempt_id=attempt_id)
    if _wants_json():
        return jsonify(url=url, **answer)
    return redirect(url)


@bp.route("/quiz/attempts/<int:attempt_id>", methods=["POST"])
def answer(attempt_id: int):
    """Save or submit an attempt's answers. ``request_key`` (the page's idempotency key) makes a
    resent request a replay: answered as the first one was, changing nothing (``quizzes``)."""
    found = access.attempt_for(db.session, current_user, attempt_id, to_change=True)
    if found is None:
        abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    action = request.form.get("action", "submit")
    if action not in ("save", "submit"):
        abort(400, _("Choose Save or Submit."))
    key = request.form.get("request_key") or None
    answers = request.form.to_dict(flat=False)
    try:
        if action == "save":
            quizzes.save(db.session, _catalog(), found, answers, now=clock.now(), key=key)
            if not _wants_json():  # the script says so on the page itself
                flash(_("Your answers are saved. You can finish the quiz later."), "success")
            return _done(found.id, saved=True)
        outcome = quizzes.submit(
            db.session, _catalog(), found, answers, now=clock.now(), issuer=issuer(), key=key
        )
    except quizzes.AlreadySubmitted as error:
        abort(409, error.message)
    except AnswerRejected as error:
        abort(
            400,
            _(
                "Your answers could not be read (%(problem)s). Reload the page and try again.",
                problem=error,
            ),
        )
    except ServiceError as error:
        db.session.rollback()
        if _wants_json():
            return jsonify(error=error.message), 400
        return _attempt_page(found, form, errors=error.message, status=400)
    if outcome.passed:
        flash(_("You scored %(score)s%% and passed this quiz.", score=outcome.score), "success")
        if outcome.certificate is not None and outcome.certificate.generation > 1:
            flash(
                _("You have completed the refresher: your renewed certificate is ready."), "success"
            )
        elif outcome.certificate is not None:
            flash(_("You have completed the course: your certificate is ready."), "success")
    else:
        flash(
            _(
                "You scored %(score)s%%. The pass mark is %(mark)s%%.",
                score=outcome.score,
                mark=found.pass_mark,
            ),
            "info",
        )
    return _done(found.id, submitted=True, score=outcome.score, passed=outcome.passed)
