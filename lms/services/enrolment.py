"""Enrolment in courses: self-enrolment and the questions every page asks about it."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.content import Catalog
from lms.models.enrolment import Enrolment
from lms.services import ServiceError


def enrol(
    session: Session, catalog: Catalog, user_id: int, course_slug: str, *, now: datetime
) -> Enrolment:
    """Enrol the user (idempotent: enrolling twice returns the first enrolment)."""
    if catalog.course(course_slug) is None:
        raise ServiceError(_("There is no such course."))
    existing = session.scalar(
        select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.course_slug == course_slug)
    )
    if existing is not None:
        return existing
    enrolment = Enrolment(user_id=user_id, course_slug=course_slug, enrolled_at=now)
    session.add(enrolment)
    session.flush()
    return enrolment


def is_enrolled(session: Session, user_id: int, course_slug: str) -> bool:
    return (
        session.scalar(
            select(Enrolment.id).where(
                Enrolment.user_id == user_id, Enrolment.course_slug == course_slug
            )
        )
        is not None
    )


def enrolled_course_slugs(session: Session, user_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Enrolment.course_slug)
            .where(Enrolment.user_id == user_id)
            .order_by(Enrolment.enrolled_at)
        )
    )
