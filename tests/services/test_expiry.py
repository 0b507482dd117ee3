"""Expiry, refresher training and renewal, the certificate's history, bulk revocation, expiry
reminders, and issuing by every path that can complete a course. Fixed dates throughout."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from lms.extensions import db
from lms.models.certificates import Certificate, CertificateEvent, ExpiryReminder
from lms.models.quizzes import QuizAttempt
from lms.services import (
    ServiceError,
    adjustments,
    certificates,
    completion,
    quizzes,
    reminders,
    renewal,
    workshops,
)
from lms.services.heartbeat import Heartbeat, record
from tests.factories import NOW, make_certificate, make_user
from tests.services.test_certificates import ISSUER, adjust, finished, quiz
from tests.web.test_quiz import browser_form

EXPIRES = datetime(2028, 3, 2, 9, 0, tzinfo=UTC)  #: NOW + the demo course's 2 years
OPENS = EXPIRES - timedelta(days=60)


@pytest.fixture
def catalog(app):
    return app.extensions["lms.catalog"]


def issued(catalog, learner) -> Certificate:
    finished(learner)
    certificate = certificates.issue(db.session, catalog, ISSUER, learner.id, "demo", now=NOW)
    db.session.commit()
    return certificate


def quiz_at(user, module: str, at: datetime, passed: bool = True) -> None:
    quiz(user, module, passed)
    attempt = db.session.query(QuizAttempt).order_by(QuizAttempt.id.desc()).first()
    attempt.started_at = attempt.submitted_at = at
    db.session.commit()


# --- status ---------------------------------------------------------------------------------------
def test_status_is_valid_expired_or_revoked(app, learner):
    forever = make_certificate(learner)
    assert certificates.status(forever, NOW + timedelta(days=36500)) == certificates.VALID
    expiring = make_certificate(make_user(), expires_at=EXPIRES)
    assert certificates.status(expiring, EXPIRES - timedelta(seconds=1)) == certificates.VALID
    assert certificates.status(expiring, EXPIRES) == certificates.EXPIRED
    expiring.revoked_at = NOW
    assert certificates.status(expiring, NOW) == certificates.REVOKED
    assert certificates.status(expiring, EXPIRES + timedelta(days=1)) == certificates.REVOKED


def test_years_after_keeps_the_day_and_time():
    assert certificates.years_after(NOW, 3) == datetime(2029, 3, 2, 9, 0, tzinfo=UTC)
    leap = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    assert certificates.years_after(leap, 1) == datetime(2029, 2, 28, 12, 0, tzinfo=UTC)


def test_a_certificate_keeps_its_own_expiry(catalog, learner):
    certificate = issued(catalog, learner)
    assert certificate.expires_at == EXPIRES and certificate.generation == 1
    events = db.session.query(CertificateEvent).filter_by(certificate_id=certificate.id).all()
    assert [e.kind for e in events] == ["issued"]


# --- refresher and renewal ------------------------------------------------------------------------
def test_the_refresher_opens_60_days_before_expiry(catalog, learner):
    issued(catalog, learner)
    course = catalog.course("demo")
    assert (
        renewal.refresher(db.session, course, learner.id, now=OPENS - timedelta(seconds=1)) is None
    )
    open_one = renewal.refresher(db.session, course, learner.id, now=OPENS)
    assert open_one is not None and open_one.days_left == 60 and not open_one.done
    assert [m.module.slug for m in open_one.modules] == ["01-basics", "02-practice"]
    # still open after the expiry date: a late renewal is allowed
    late = renewal.refresher(db.session, course, learner.id, now=EXPIRES + timedelta(days=400))
    assert late is not None and late.status == certificates.EXPIRED


def test_quizzes_passed_before_the_refresher_opened_do_not_count(catalog, learner):
    issued(catalog, learner)
    quiz_at(learner, "01-basics", OPENS - timedelta(days=1))
    quiz_at(learner, "02-practice", OPENS - timedelta(days=1))
    got = completion.after_progress(db.session, catalog, ISSUER, learner.id, "demo", now=OPENS)
    assert got is None
    with pytest.raises(ServiceError, match="Module 1, Module 2"):
        renewal.renew(db.session, catalog, ISSUER, learner.id, "demo", now=OPENS)


def test_passing_every_quiz_again_renews_with_a_new_expiry_and_keeps_the_old(catalog, learner):
    old = issued(catalog, learner)
    at = OPENS + timedelta(days=10)
    quiz_at(learner, "01-basics", at)
    quiz_at(learner, "02-practice", at, passed=False)
    assert (
        completion.after_progress(db.session, catalog, ISSUER, learner.id, "demo", now=at) is None
    )
    quiz_at(learner, "02-practice", at)
    new = completion.after_progress(db.session, catalog, ISSUER, learner.id, "demo", now=at)
    db.session.commit()
    assert new is not None and new.id != old.id
    assert (new.generation, new.renews_id) == (2, old.id)
    assert new.serial != old.serial and new.code != old.code
    # renewing early loses no time: valid from the end of the old one
    assert new.expires_at == datetime(2030, 3, 2, 9, 0, tzinfo=UTC)
    assert certificates.find_for(db.session, learner.id, "demo").id == new.id
    assert certificates.status(old, at) == certificates.VALID  # untouched, until its own expiry
    assert certificates.renewed_by(db.session, old).id == new.id
    kinds = lambda c: [e.event.kind for e in certificates.history(db.session, c.id)]  # noqa: E731
    assert kinds(old) == ["issued", "renewed"] and kinds(new) == ["issued"]
    assert renewal.refresher(db.session, catalog.course("demo"), learner.id, now=at) is None
    # nothing more to renew: a further pass issues nothing
    quiz_at(learner, "01-basics", at)
    assert (
        completion.after_progress(db.session, catalog, ISSUER, learner.id, "demo", now=at) is None
    )


def test_a_late_renewal_is_valid_from_the_renewal(catalog, learner):
    issued(catalog, learner)
    at = EXPIRES + timedelta(days=100)
    quiz_at(learner, "01-basics", at)
    quiz_at(learner, "02-practice", at)
    new = completion.after_progress(db.session, catalog, ISSUER, learner.id, "demo", now=at)
    assert new.expires_at == certificates.years_after(at, 2)


def test_a_revoked_certificate_has_no_refresher(catalog, learner, admin):
    old = issued(catalog, learner)
    certificates.revoke(db.session, old, "Issued in error", by=admin.id, now=NOW)
    assert renewal.refresher(db.session, catalog.course("demo"), learner.id, now=OPENS) is None


def test_the_refresher_allows_a_quizs_attempts_afresh(catalog, learner):
    issued(catalog, learner)
    module = catalog.module("demo", "02-practice")  # attempts: 2
    quiz_at(learner, "02-practice", NOW, passed=False)  # with the one in finished(): both used
    assert quizzes.allowance(db.session, module.quiz, learner.id, now=NOW).left == 0
    with pytest.raises(quizzes.NoAttemptsLeft):
        quizzes.start_or_resume(db.session, catalog, learner.id, "demo", "02-practice", now=NOW)
    assert quizzes.allowance(db.session, module.quiz, learner.id, now=OPENS).left == 2
    attempt = quizzes.start_or_resume(
        db.session, catalog, learner.id, "demo", "02-practice", now=OPENS
    )
    assert attempt.number == 3


# --- revoking, restoring: the history is kept ------------------------------------------------------
def test_restoring_keeps_who_revoked_and_why(catalog, learner, admin):
    certificate = issued(catalog, learner)
    certificates.revoke(db.session, certificate, "Hours were entered in error", by=admin.id,
                        now=NOW + timedelta(days=1))  # fmt: skip
    certificates.restore(db.session, certificate, by=admin.id, now=NOW + timedelta(days=2))
    db.session.commit()
    assert not certificate.revoked
    entries = certificates.history(db.session, certificate.id)
    assert [(e.event.kind, e.actor, e.event.reason) for e in entries] == [
        ("issued", None, None),
        ("revoked", admin.full_name, "Hours were entered in error"),
        ("restored", admin.full_name, None),
    ]


def test_bulk_revocation_is_all_or_nothing(app, admin):
    first, second = make_certificate(make_user()), make_certificate(make_user())
    gone = make_certificate(make_user(), revoked_at=NOW, revoked_reason="old", revoked_by=admin.id)
    with pytest.raises(ServiceError, match=gone.serial):
        certificates.revoke_many(db.session, [first.id, second.id, gone.id], "Fraud found",
                                 by=admin.id, now=NOW)  # fmt: skip
    db.session.rollback()
    assert not db.session.get(Certificate, first.id).revoked
    with pytest.raises(ServiceError, match="no longer exist"):
        certificates.revoke_many(db.session, [first.id, 99999], "Fraud found", by=admin.id, now=NOW)
    with pytest.raises(ServiceError, match="reason"):
        certificates.revoke_many(db.session, [first.id], "", by=admin.id, now=NOW)
    done = certificates.revoke_many(db.session, [first.id, second.id], "Fraud found", by=admin.id,
                                    now=NOW)  # fmt: skip
    db.session.commit()
    assert {c.id for c in done} == {first.id, second.id}
    assert all(c.revoked_reason == "Fraud found" for c in done)
    assert db.session.query(CertificateEvent).filter_by(kind="revoked").count() == 2


# --- every path that can complete a course issues the certificate ---------------------------------
def _nearly_done_but(learner, missing: str) -> None:
    """Everything done but ``missing``: one minute of module 1 (time) or the module 2 quiz."""
    from tests.factories import enrol

    enrol(learner, "demo")
    if missing == "time":
        adjust(learner, "01-basics", 19)
    else:
        adjust(learner, "01-basics", 20)
    adjust(learner, "02-practice", 10)
    quiz(learner, "01-basics")
    if missing == "time":
        quiz(learner, "02-practice")


def _workshop(catalog, instructor, module="01-basics", minutes=1):
    return workshops.create_workshop(
        db.session, catalog, course_slug="demo", module_slug=module, held_on=date(2026, 3, 2),
        starts_at=time(9), minutes=minutes, place="Quetta", facilitator="A", by=instructor.id,
        now=NOW,
    )  # fmt: skip


def test_the_heartbeat_issues_it(app, catalog, learner):
    _nearly_done_but(learner, "time")
    learner_id = learner.id
    db.session.commit()  # the heartbeat runs before anything uses the session
    record(db.session, catalog, ISSUER, learner_id, Heartbeat("demo/01-basics/welcome", 30, 1, "t"),
           now=NOW)  # fmt: skip
    assert certificates.find_for(db.session, learner_id, "demo") is None
    db.session.commit()
    record(db.session, catalog, ISSUER, learner_id, Heartbeat("demo/01-basics/welcome", 60, 2, "t"),
           now=NOW + timedelta(seconds=60))  # fmt: skip
    assert certificates.find_for(db.session, learner_id, "demo") is not None


def test_a_workshop_mark_issues_it(app, catalog, learner, instructor):
    _nearly_done_but(learner, "time")
    workshop = _workshop(catalog, instructor)
    workshops.mark(db.session, workshop, learner.id, status="present", by=instructor.id, now=NOW,
                   catalog=catalog, issuer=ISSUER)  # fmt: skip
    assert certificates.find_for(db.session, learner.id, "demo") is not None


def test_an_adjustment_issues_it(app, catalog, learner, instructor):
    _nearly_done_but(learner, "time")
    adjustments.adjust(db.session, catalog, learner.id, course_slug="demo", module_slug="01-basics",
                       minutes=1, reason="Read on paper", by=instructor.id, now=NOW,
                       issuer=ISSUER)  # fmt: skip
    assert certificates.find_for(db.session, learner.id, "demo") is not None


def test_grading_a_quiz_issues_it(app, catalog, learner):
    _nearly_done_but(learner, "quiz")
    attempt = quizzes.start_or_resume(
        db.session, catalog, learner.id, "demo", "02-practice", now=NOW
    )
    form = browser_form(catalog.module("demo", "02-practice").quiz, attempt, {"p-1": ["0"]})
    outcome = quizzes.submit(db.session, catalog, attempt, form, now=NOW, issuer=ISSUER)
    assert outcome.passed and outcome.certificate is not None
    assert certificates.find_for(db.session, learner.id, "demo").id == outcome.certificate.id


def test_grading_a_refresher_quiz_renews_it(app, catalog, learner):
    old = issued(catalog, learner)
    quiz_at(learner, "01-basics", OPENS)
    attempt = quizzes.start_or_resume(db.session, catalog, learner.id, "demo", "02-practice",
                                      now=OPENS)  # fmt: skip
    form = browser_form(catalog.module("demo", "02-practice").quiz, attempt, {"p-1": ["0"]})
    outcome = quizzes.submit(db.session, catalog, attempt, form, now=OPENS, issuer=ISSUER)
    assert outcome.certificate is not None and outcome.certificate.renews_id == old.id


# --- expiry reminders -----------------------------------------------------------------------------
class Outbox:
    def __init__(self, fail: bool = False):
        self.sent: list[tuple[str, list[int]]] = []
        self.fail = fail

    def __call__(self, user, due):
        if self.fail:
            raise OSError("mail server down")
        self.sent.append((user.email, [r.days_before for r in due]))


def test_one_reminder_per_date_never_twice(app, learner):
    certificate = make_certificate(learner, expires_at=EXPIRES)
    outbox = Outbox()
    assert (
        reminders.send_reminders(db.session, now=OPENS - timedelta(days=1), send=outbox).sent == 0
    )
    for _ in range(2):
        reminders.send_reminders(db.session, now=OPENS, send=outbox)
    reminders.send_reminders(db.session, now=OPENS + timedelta(days=3), send=outbox)
    assert outbox.sent == [(learner.email, [60])]
    reminders.send_reminders(db.session, now=EXPIRES - timedelta(days=30), send=outbox)
    # a missed date is not sent late: only the latest due
    reminders.send_reminders(db.session, now=EXPIRES, send=outbox)
    reminders.send_reminders(db.session, now=EXPIRES + timedelta(days=5), send=outbox)
    assert outbox.sent == [(learner.email, [60]), (learner.email, [30]), (learner.email, [0])]
    rows = db.session.query(ExpiryReminder).filter_by(certificate_id=certificate.id).all()
    assert sorted(r.days_before for r in rows) == [0, 30, 60]
    assert db.session.query(CertificateEvent).filter_by(kind="reminded").count() == 3


def test_one_message_per_learner_for_several_certificates(app, learner):
    make_certificate(learner, expires_at=EXPIRES)
    make_certificate(learner, course_slug="other", expires_at=EXPIRES - timedelta(days=31))
    outbox = Outbox()
    reminders.send_reminders(db.session, now=OPENS, send=outbox)
    assert outbox.sent == [(learner.email, [60, 30])]


def test_a_failed_send_is_not_recorded_and_is_tried_again(app, learner):
    make_certificate(learner, expires_at=EXPIRES)
    outcome = reminders.send_reminders(db.session, now=OPENS, send=Outbox(fail=True))
    assert (outcome.sent, outcome.failed) == (0, 1)
    assert db.session.query(ExpiryReminder).count() == 0
    outbox = Outbox()
    reminders.send_reminders(db.session, now=OPENS, send=outbox)
    assert outbox.sent == [(learner.email, [60])]


def test_no_reminder_for_revoked_renewed_or_erased(app, learner, admin):
    make_certificate(make_user(), expires_at=EXPIRES, revoked_at=NOW, revoked_by=admin.id,
                     revoked_reason="withdrawn")  # fmt: skip
    old = make_certificate(learner, expires_at=EXPIRES)
    make_certificate(learner, expires_at=EXPIRES + timedelta(days=730), generation=2,
                     renews_id=old.id)  # fmt: skip
    make_certificate(make_user(erased_at=NOW), expires_at=EXPIRES)
    make_certificate(make_user(active=False), expires_at=EXPIRES)
    outbox = Outbox()
    reminders.send_reminders(db.session, now=OPENS, send=outbox)
    assert outbox.sent == []
