"""What a learner gives the programme's figures: the pre-test and post-test of a course, the course
evaluation, and the optional questions on sex, age band and role (asked once on the dashboard)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from lms.content import Catalog
from lms.content.questions import AnswerRejected
from lms.extensions import db
from lms.models.users import User
from lms.services import ServiceError, access, accounts, clock, knowledge, quizzes
from lms.web.demographics import DemographicFields, answers
from lms.web.forms import EmptyForm, Form
from lms.web.language import current_locale

bp = Blueprint("knowledge", __name__)

WHICH = {"pre-test": "pre", "post-test": "post"}


class DemographicsForm(DemographicFields, Form):
    """Asked once on the dashboard of someone who was never asked (an older or roster account)."""

    save = SubmitField(_l("Save my answers"))
    decline = SubmitField(_l("No, thank you"))


def _rating(label):
    return RadioField(
        label,
        choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
        validators=[InputRequired(message=_l("Choose a rating from 1 to 5."))],
    )


class EvaluationForm(Form):
    satisfaction = _rating(_l("Overall, how good was the course? (1 very poor, 5 very good)"))
    usefulness = _rating(_l("How useful is it for your work? (1 not at all, 5 very)"))
    confidence_before = _rating(
        _l("How confident were you in this subject before the course? (1 not at all, 5 very)")
    )
    confidence_after = _rating(_l("And how confident are you now? (1 not at all, 5 very)"))
    improve = TextAreaField(
        _l("What should we improve?"), validators=[Optional(), Length(max=2000)]
    )
    comments = TextAreaField(_l("Anything else?"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Send my evaluation"))


def _catalog() -> Catalog:
    return current_app.extensions["lms.catalog"]


def demographics_question() -> DemographicsForm | None:
    """The dashboard's question, for someone never asked; else None."""
    if not accounts.needs_demographics(db.session, current_user.id):
        return None
    return DemographicsForm(formdata=None)


@bp.route("/account/demographics", methods=["POST"])
def demographics():
    form = DemographicsForm()
    if not form.validate_on_submit():
        abort(400, _("Choose an answer from the list, or leave it blank."))
    user = db.session.get(User, current_user.id)
    given = {} if form.decline.data else answers(form)
    try:
        accounts.set_demographics(user, given, now=clock.now())
    except ServiceError as error:
        abort(400, error.message)
    flash(_("Thank you.") if given else _("We will not ask again."), "success")
    return redirect(url_for("learner.dashboard"))


def _course_or_404(course_slug: str):
    course = _catalog().course(course_slug)
    if course is None or course.knowledge_test is None:
        abort(404)
    return course


def _status_or_403(course):
    status = knowledge.status(db.session, course, current_user.id)
    if status is None:
        abort(403, _("Enrol in the course first."))
    return status


@bp.route("/courses/<slug:course_slug>/<any('pre-test', 'post-test'):which>")
def overview(course_slug: str, which: str):
    course = _course_or_404(course_slug)
    status = _status_or_403(course)
    return render_template(
        "knowledge/overview.html", course=course, status=status, kind=WHICH[which],
        which=which, state=status.state(WHICH[which]), form=EmptyForm(),
    )  # fmt: skip


@bp.route("/courses/<slug:course_slug>/<any('pre-test', 'post-test'):which>", methods=["POST"])
def start(course_slug: str, which: str):
    course = _course_or_404(course_slug)
    _status_or_403(course)
    try:
        test = knowledge.start(
            db.session, _catalog(), current_user.id, course.slug, WHICH[which], now=clock.now()
        )
    except ServiceError as error:
        abort(409, error.message)
    db.session.flush()
    return redirect(url_for("knowledge.test", test_id=test.id))


def _test_page(test, form, *, error: str | None = None, status: int = 200):
    course = _catalog().course(test.course_slug)
    if course is None or course.knowledge_test is None:
        abort(404)
    if not test.is_open:
        return redirect(
            url_for("knowledge.overview", course_slug=course.slug, which=f"{test.kind}-test")
        )
    return render_template(
        "knowledge/take.html", course=course, test=test, form=form, error=error, saved={},
        # in the reader's language where the quizzes are translated (graded on the original)
        shown=quizzes.shown_questions(course.knowledge_test.in_locale(current_locale()), test),
    ), status  # fmt: skip


@bp.route("/tests/<int:test_id>")
def test(test_id: int):
    found = access.knowledge_test_for(db.session, current_user, test_id)
    if found is None:
        abort(404)
    return _test_page(found, EmptyForm())


@bp.route("/tests/<int:test_id>", methods=["POST"])
def answer(test_id: int):
    found = access.knowledge_test_for(db.session, current_user, test_id)
    if found is None:
        abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        score = knowledge.submit(
            db.session, _catalog(), found, request.form.to_dict(flat=False), now=clock.now()
        )
    except quizzes.AlreadySubmitted as error:
        abort(409, error.message)
    except AnswerRejected as error:
        abort(400, _("Your answers could not be read (%(error)s). Reload the page and try again.",
                     error=str(error)))  # fmt: skip
    except ServiceError as error:
        db.session.rollback()
        return _test_page(found, form, error=error.message, status=400)
    flash(_("Your answers are recorded: %(score)s%%.", score=score), "success")
    return redirect(
        url_for("knowledge.overview", course_slug=found.course_slug, which=f"{found.kind}-test")
    )


@bp.route("/courses/<slug:course_slug>/evaluation", methods=["GET", "POST"])
def evaluation(course_slug: str):
    course = _course_or_404(course_slug)
    status = _status_or_403(course)
    form = EvaluationForm()
    code = 200
    if status.evaluation is None and status.may_evaluate and form.validate_on_submit():
        ratings = {name: int(getattr(form, name).data) for name in knowledge.RATINGS}
        try:
            knowledge.evaluate(
                db.session, _catalog(), current_user.id, course.slug, ratings,
                form.improve.data or "", form.comments.data or "", now=clock.now(),
            )  # fmt: skip
        except ServiceError as error:
            form.form_errors.append(error.message)
            code = 400
        else:
            flash(_("Thank you for your evaluation."), "success")
            return redirect(url_for("learner.course", course_slug=course.slug))
    elif form.is_submitted():
        code = 409 if status.evaluation is not None or not status.may_evaluate else 400
    return render_template(
        "knowledge/evaluation.html", course=course, status=status, form=form
    ), code
