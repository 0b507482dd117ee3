"""Workshops: in-person sessions for a module, the register of marks, and the marks' edit history.

Present earns the session's minutes, late the minutes attended, absent and excused nothing
(DESIGN.md §2); a change to a mark is kept with who, when, old and new.
"""

from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.content import Catalog
from lms.models.hours import MARK_STATUSES, MarkChange, WorkshopMark, WorkshopSession
from lms.models.users import User
from lms.services import ServiceError, audit, certificates, completion
from lms.services.enrolment import is_enrolled

#: each mark as the register shows it (the stored status is the English word: data)
MARK_LABELS = {
    "present": _l("Present"),
    "late": _l("Late"),
    "absent": _l("Absent"),
    "excused": _l("Excused"),
}


def create_workshop(
    session: Session,
    catalog: Catalog,
    *,
    course_slug: str,
    module_slug: str,
    held_on: date,
    starts_at: time,
    minutes: int,
    place: str,
    facilitator: str,
    by: int,
    now: datetime,
    cohort_id: int | None = None,
) -> WorkshopSession:
    module = catalog.module(course_slug, module_slug)
    if module is None:
        raise ServiceError(_("Choose a module of a course."), "module")
    if not 1 <= minutes <= 600:
        raise ServiceError(_("A session lasts from 1 to 600 minutes."), "minutes")
    if not place.strip() or not facilitator.strip():
        raise ServiceError(_("Give the place and the facilitator."), "place")
    workshop = WorkshopSession(
        course_slug=course_slug,
        module_slug=module_slug,
        held_on=held_on,
        starts_at=starts_at,
        minutes=minutes,
        place=place.strip(),
        facilitator=facilitator.strip(),
        cohort_id=cohort_id,
        created_by=by,
        created_at=now,
    )
    session.add(workshop)
    session.flush()
    return workshop


def earned_minutes(workshop: WorkshopSession, status: str, minutes_attended: int | None) -> int:
    if status not in MARK_STATUSES:
        raise ServiceError(_("A mark is one of: %(statuses)s.", statuses=", ".join(MARK_STATUSES)))
    if status == "present":
        return workshop.minutes
    if status == "late":
        if minutes_attended is None or not 1 <= minutes_attended <= workshop.minutes:
            raise ServiceError(
                _(
                    "For a late arrival, give the minutes attended (1 to %(minutes)d).",
                    minutes=workshop.minutes,
                )
            )
        return minutes_attended
    return 0


def mark(
    session: Session,
    workshop: WorkshopSession,
    learner_id: int,
    *,
    status: str,
    minutes_attended: int | None = None,
    remark: str = "",
    by: int,
    now: datetime,
    catalog: Catalog,
    issuer: certificates.Issuer,
) -> WorkshopMark:
    """Mark (or re-mark) a learner; a change to an existing mark is recorded with who and when.
    A mark whose minutes complete the course issues the certificate in the same transaction."""
    found = _mark(session, workshop, learner_id, status=status, minutes_attended=minutes_attended,
                  remark=remark, by=by, now=now)  # fmt: skip
    completion.after_progress(session, catalog, issuer, learner_id, workshop.course_slug, now=now)
    return found


def _mark(
    session: Session,
    workshop: WorkshopSession,
    learner_id: int,
    *,
    status: str,
    minutes_attended: int | None,
    remark: str,
    by: int,
    now: datetime,
) -> WorkshopMark:
    if not is_enrolled(session, learner_id, workshop.course_slug):
        raise ServiceError(_("That person is not enrolled in this course."))
    minutes = earned_minutes(workshop, status, minutes_attended)
    remark = (remark or "").strip()[:500]
    existing = session.scalar(
        select(WorkshopMark).where(
            WorkshopMark.session_id == workshop.id, WorkshopMark.user_id == learner_id
        )
    )
    if existing is None:
        created = WorkshopMark(
            session_id=workshop.id,
            user_id=learner_id,
            status=status,
            minutes_attended=minutes,
            remark=remark,
            marked_by=by,
            marked_at=now,
        )
        session.add(created)
        session.flush()
        audit.record(session, by, "marked", f"workshop:{workshop.id}", now=now,
                     learner=learner_id, status=status, minutes=minutes)  # fmt: skip
        return created
    if (existing.status, existing.minutes_attended, existing.remark) != (status, minutes, remark):
        session.add(
            MarkChange(
                mark_id=existing.id,
                changed_by=by,
                changed_at=now,
                old_status=existing.status,
                old_minutes=existing.minutes_attended,
                old_remark=existing.remark,
                new_status=status,
                new_minutes=minutes,
                new_remark=remark,
            )
        )
        existing.status, existing.minutes_attended, existing.remark = status, minutes, remark
        existing.marked_by, existing.marked_at = by, now
        session.flush()
        audit.record(session, by, "mark changed", f"workshop:{workshop.id}", now=now,
                     learner=learner_id, status=status, minutes=minutes)  # fmt: skip
    return existing


def mark_changes(session: Session, workshop_id: int) -> list[tuple[MarkChange, str, str]]:
    """The edit history of a session's marks: (change, learner name, changed by)."""
    learner = User.__table__.alias("learner")
    editor = User.__table__.alias("editor")
    return [
        (change, learner_name, editor_name)
        for change, learner_name, editor_name in session.execute(
            select(MarkChange, learner.c.full_name, editor.c.full_name)
            .join(WorkshopMark, WorkshopMark.id == MarkChange.mark_id)
            .join(learner, learner.c.id == WorkshopMark.user_id)
            .join(editor, editor.c.id == MarkChange.changed_by)
            .where(WorkshopMark.session_id == workshop_id)
            .order_by(MarkChange.changed_at.desc(), MarkChange.id.desc())
        )
    ]
