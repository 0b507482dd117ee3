"""Adjustments: minutes an instructor credits or removes on a module, with a reason the learner
sees in their ledger."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lms.content import Catalog
from lms.models.hours import HoursAdjustment
from lms.services import ServiceError, audit, certificates, completion
from lms.services.enrolment import is_enrolled


def adjust(
    session: Session,
    catalog: Catalog,
    learner_id: int,
    *,
    course_slug: str,
    module_slug: str,
    minutes: int,
    reason: str,
    by: int,
    now: datetime,
    issuer: certificates.Issuer,
) -> HoursAdjustment:
    """Credit or remove minutes; minutes that complete the course issue the certificate in the
    same transaction."""
    module = catalog.module(course_slug, module_slug)
    if module is None:
        raise ServiceError(_("Choose a module of the course."), "module")
    if not is_enrolled(session, learner_id, course_slug):
        raise ServiceError(_("That person is not enrolled in this course."))
    if minutes == 0 or abs(minutes) > module.minutes:
        raise ServiceError(
            _(
                "Credit or remove between 1 and %(minutes)d minutes (the module's length).",
                minutes=module.minutes,
            ),
            "minutes",
        )
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ServiceError(
            _("Give the reason for the adjustment (a few words at least)."), "reason"
        )
    adjustment = HoursAdjustment(
        user_id=learner_id,
        course_slug=course_slug,
        module_slug=module_slug,
        minutes=minutes,
        reason=reason[:1000],
        created_by=by,
        created_at=now,
    )
    session.add(adjustment)
    session.flush()
    audit.record(session, by, "hours adjusted", f"user:{learner_id}", now=now,
                 course=course_slug, module=module_slug, minutes=minutes, reason=reason[:200])  # fmt: skip
    completion.after_progress(session, catalog, issuer, learner_id, course_slug, now=now)
    return adjustment
