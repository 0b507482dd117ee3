"""The single policy point: who may see or change what.

Views ask here; they never compare roles or owners themselves. Scoped queries (what a user may list)
and single-object checks use the same rules, so a list can never show what a page would refuse.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from lms.services.enrolment import is_enrolled


class Viewer(Protocol):
    id: int
    role: str


def is_staff(viewer: Viewer) -> bool:
    return viewer.role in ("instructor", "admin")


def may_read_course(session: Session, viewer: Viewer, course_slug: str) -> bool:
    """Lessons are for enrolled learners, instructors and administrators."""
    if is_staff(viewer):
        return True
    known = getattr(viewer, "enrolled", None)  # the web principal carries its enrolments
    if known is not None:
        return course_slug in known
    return is_enrolled(session, viewer.id, course_slug)


def attempt_for(session: Session, viewer: Viewer, attempt_id: int, *, to_change: bool = False):
    """A quiz attempt the viewer may see (their own; administrators see any), else ``None``.

    Only the learner who took an attempt may change it. Pages answer ``None`` with a 404, so
    attempt numbers reveal nothing.
    """
    from lms.models.quizzes import QuizAttempt

    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None:
        return None
    if attempt.user_id == viewer.id:
        return attempt
    if not to_change and viewer.role == "admin":
        return attempt
    return None
