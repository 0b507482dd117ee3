"""Refresher training and renewal: a certificate that expires can be renewed from 60 days before
its expiry date by passing every module quiz of the course again.

The refresher of a certificate opens ``REFRESHER_DAYS`` before it expires and stays open after
(a learner may renew late). Only quiz attempts started since it opened count, and the hours
already credited stand. When every module quiz is passed again, the renewed certificate is issued
in the same transaction as the last pass (``lms.services.completion``): a new serial and code, the
snapshot as of now, generation + 1, linked to the one it renews. It is valid from its issue (the
credential's ``validFrom``); its expiry is counted from when the old one ends (or from now, if that
is later), so renewing early loses no time. The old certificate is kept
as it was, with its own expiry and a "renewed" entry in its history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lms.content import Catalog
from lms.content.schema import Course, Module
from lms.models.certificates import Certificate
from lms.services import ServiceError, certificates, enrolment, ledger

REFRESHER_DAYS = 60


def opens_at(certificate: Certificate) -> datetime | None:
    """When the certificate's refresher opens; None if it never expires or is revoked."""
    if certificate.expires_at is None or certificate.revoked:
        return None
    return certificate.expires_at - timedelta(days=REFRESHER_DAYS)


@dataclass(frozen=True)
class RefresherModule:
    module: Module
    passed: bool  #: passed again since the refresher opened


@dataclass(frozen=True)
class Refresher:
    """An open refresher: the certificate it renews and what is left to do."""

    certificate: Certificate
    course: Course
    opens_at: datetime
    status: str  #: the certificate's status now: valid or expired
    days_left: int  #: whole days until it expires (0 or less: expired)
    modules: tuple[RefresherModule, ...]

    @property
    def done(self) -> bool:
        return all(m.passed for m in self.modules)

    @property
    def to_do(self) -> tuple[Module, ...]:
        return tuple(m.module for m in self.modules if not m.passed)


def refresher(session: Session, course: Course, user_id: int, *, now: datetime) -> Refresher | None:
    """The learner's open refresher in ``course``, or None (no certificate, no expiry, revoked, or
    more than ``REFRESHER_DAYS`` before the expiry date)."""
    current = certificates.find_for(session, user_id, course.slug)
    start = opens_at(current) if current is not None else None
    if start is None or now < start:
        return None
    passed = certificates.passed_modules(session, course.slug, user_id, since=start)
    return Refresher(
        certificate=current,
        course=course,
        opens_at=start,
        status=certificates.status(current, now),
        days_left=(current.expires_at - now).days,
        modules=tuple(
            RefresherModule(m, m.slug in passed) for m in course.modules if m.quiz is not None
        ),
    )


def refreshers_for(
    session: Session, catalog: Catalog, user_id: int, *, now: datetime
) -> list[Refresher]:
    """Every open refresher of the learner, in the courses they are enrolled in (the dashboard)."""
    found = []
    for slug in enrolment.enrolled_course_slugs(session, user_id):
        course = catalog.course(slug)
        if course is not None and (open_one := refresher(session, course, user_id, now=now)):
            found.append(open_one)
    return found


def round_start(
    session: Session, course_slug: str, user_id: int, *, now: datetime
) -> datetime | None:
    """From when the learner's quiz attempts count towards a limit: the opening of an open
    refresher (each refresher allows a quiz's attempts afresh), else None (all attempts)."""
    current = certificates.find_for(session, user_id, course_slug)
    start = opens_at(current) if current is not None else None
    return start if start is not None and now >= start else None


def renew(
    session: Session,
    catalog: Catalog,
    issuer: certificates.Issuer,
    user_id: int,
    course_slug: str,
    *,
    now: datetime,
    by: int | None = None,
) -> Certificate:
    """Issue the renewed certificate; ``ServiceError`` if the refresher is not open or not done.
    If a concurrent request renewed it a moment ago, returns that renewal."""
    course = catalog.course(course_slug)
    if course is None:
        raise ServiceError(_("There is no such course."))
    open_one = refresher(session, course, user_id, now=now)
    if open_one is None:
        raise ServiceError(_("This certificate has no refresher open."))
    if not open_one.done:
        raise ServiceError(
            _("Pass these module quizzes again first: %(modules)s.",
              modules=", ".join(_("Module %(number)d", number=m.number) for m in open_one.to_do))
        )  # fmt: skip
    old = open_one.certificate
    with session.begin_nested() as savepoint:
        serial = certificates.next_serial(session, course, now.year)
        again = certificates.find_for(session, user_id, course.slug)
        if again.id != old.id:  # renewed meanwhile: give the serial number back
            savepoint.rollback()
            return again
        hours = ledger.course_hours(session, course, user_id)
        renewed = certificates.new_certificate(
            session, catalog, issuer, course, user_id, serial, hours.credited_seconds, now=now,
            by=by, expires_at=certificates.expiry_for(course, max(now, old.expires_at)),
            renews=old,
        )  # fmt: skip
        certificates.record_event(session, renewed, "issued", now=now, by=by,
                                  reason=f"Renewal of {old.serial}")  # fmt: skip
        certificates.record_event(session, old, "renewed", now=now, by=by,
                                  reason=f"Renewed by {renewed.serial}")  # fmt: skip
    return renewed


def renew_if_done(
    session: Session, catalog: Catalog, issuer: certificates.Issuer, user_id: int,
    course_slug: str, *, now: datetime,
) -> Certificate | None:  # fmt: skip
    course = catalog.course(course_slug)
    open_one = course and refresher(session, course, user_id, now=now)
    if not open_one or not open_one.done:
        return None
    return renew(session, catalog, issuer, user_id, course_slug, now=now)
