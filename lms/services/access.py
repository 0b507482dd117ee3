"""The single policy point: who may see or change what.

Views ask here; they never compare roles or owners themselves. Scoped queries (what a user may list)
and single-object checks use the same rules, so a list can never show what a page would refuse.

Cohort membership (``CohortMember``) is what lets an instructor reach a learner. An invitation
(``CohortInvitation``) never does: until the person accepts it, they are no member for any purpose
here, and an instructor sees only the invited e-mail address.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from lms.services.accounts import normalise_email
from lms.services.enrolment import is_enrolled


class Viewer(Protocol):
    id: int
    role: str


#: the roles that teach or administer: they read every course and reach the teaching pages
STAFF_ROLES = frozenset({"instructor", "admin"})


def is_staff(viewer: Viewer) -> bool:
    return viewer.role in STAFF_ROLES


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


def workshop_for(session: Session, viewer: Viewer, workshop_id: int):
    """A workshop session the viewer recorded or whose cohort they teach (administrators: any),
    else ``None`` (a 404). The same rule as ``workshops_of``."""
    from lms.models.hours import WorkshopSession

    workshop = session.get(WorkshopSession, workshop_id)
    if workshop is None or not is_staff(viewer):
        return None
    found = session.scalar(workshops_of(viewer).where(WorkshopSession.id == workshop.id))
    return found


def workshops_of(viewer: Viewer):
    """The scoped query behind the workshop list: the same rule as ``workshop_for``."""
    from sqlalchemy import select

    from lms.models.cohorts import CohortInstructor
    from lms.models.hours import WorkshopSession

    query = select(WorkshopSession).order_by(
        WorkshopSession.held_on.desc(), WorkshopSession.id.desc()
    )
    if viewer.role != "admin":
        taught = select(CohortInstructor.cohort_id).where(CohortInstructor.user_id == viewer.id)
        query = query.where(
            (WorkshopSession.created_by == viewer.id) | WorkshopSession.cohort_id.in_(taught)
        )
    return query


def cohorts_of(viewer: Viewer):
    """The scoped query behind every cohort list: cohorts the viewer teaches (administrators: all)."""
    from sqlalchemy import select

    from lms.models.cohorts import Cohort, CohortInstructor

    query = select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc())
    if viewer.role != "admin":
        taught = select(CohortInstructor.cohort_id).where(CohortInstructor.user_id == viewer.id)
        query = query.where(Cohort.id.in_(taught))
    return query


def cohort_for(session: Session, viewer: Viewer, cohort_id: int):
    """A cohort the viewer teaches (administrators: any), else ``None`` (a 404)."""
    from lms.models.cohorts import Cohort

    if not is_staff(viewer):
        return None
    return session.scalar(cohorts_of(viewer).where(Cohort.id == cohort_id))


def may_add_directly(viewer: Viewer) -> bool:
    """Administrators add an existing account to a cohort at once; instructors invite it."""
    return viewer.role == "admin"


def invitation_for(session: Session, viewer, invitation_id: int):
    """A pending invitation addressed to the viewer's e-mail (only they may accept or decline it),
    else ``None`` (a 404)."""
    from lms.models.cohorts import CohortInvitation

    invitation = session.get(CohortInvitation, invitation_id)
    email = getattr(viewer, "email", None)
    if invitation is None or invitation.declined_at is not None or not email:
        return None
    return invitation if invitation.email == normalise_email(email) else None


def invitation_to_withdraw(session: Session, viewer: Viewer, cohort_id: int, invitation_id: int):
    """An invitation of a cohort the viewer teaches (administrators: any), else ``None``."""
    from lms.models.cohorts import CohortInvitation

    cohort = cohort_for(session, viewer, cohort_id)
    invitation = session.get(CohortInvitation, invitation_id)
    if cohort is None or invitation is None or invitation.cohort_id != cohort.id:
        return None
    return invitation


def learner_for(session: Session, viewer: Viewer, learner_id: int, course_slug: str):
    """A learner whose hours in ``course_slug`` the viewer may see and change, else ``None``.

    Administrators reach every enrolled learner; an instructor only the members of cohorts of
    that course that they teach (the same rule as ``cohorts_of``). Someone only invited to such a
    cohort is out of reach until they accept.
    """
    from sqlalchemy import select

    from lms.models.cohorts import Cohort, CohortMember
    from lms.models.users import User

    if not is_staff(viewer):
        return None
    learner = session.get(User, learner_id)
    if learner is None or not is_enrolled(session, learner.id, course_slug):
        return None
    if viewer.role == "admin":
        return learner
    taught = (
        cohorts_of(viewer).where(Cohort.course_slug == course_slug).with_only_columns(Cohort.id)
    )
    member = session.scalar(
        select(CohortMember.user_id).where(
            CohortMember.user_id == learner.id, CohortMember.cohort_id.in_(taught)
        )
    )
    return learner if member is not None else None


def may_grant_attempt(session: Session, viewer: Viewer, learner_id: int, course_slug: str) -> bool:
    """May the viewer give this learner one more attempt at a quiz of ``course_slug``?

    The same people who may see and change the learner's hours (``learner_for``): administrators
    for any enrolled learner, an instructor for the members of their own cohorts of that course.
    """
    return learner_for(session, viewer, learner_id, course_slug) is not None


def certificate_for(session: Session, viewer: Viewer, certificate_id: int):
    """A certificate the viewer may download: their own; administrators any. Else ``None``."""
    from lms.models.certificates import Certificate

    certificate = session.get(Certificate, certificate_id)
    if certificate is None:
        return None
    if certificate.user_id == viewer.id or viewer.role == "admin":
        return certificate
    return None


def account_for_link(session: Session, viewer: Viewer, user_id: int):
    """An account the viewer may issue a one-time reset link for, else ``None`` (a 404).

    Administrators: anyone. Instructors: learners (the role, so never another instructor or an
    administrator, whose account would open more than a learner's) in a cohort they teach.
    """
    from sqlalchemy import select

    from lms.models.cohorts import Cohort, CohortMember
    from lms.models.users import User

    if not is_staff(viewer):
        return None
    person = session.get(User, user_id)
    if person is None or viewer.role == "admin":
        return person
    if person.role != "learner":
        return None
    taught = cohorts_of(viewer).with_only_columns(Cohort.id)
    member = session.scalar(
        select(CohortMember.user_id).where(
            CohortMember.user_id == person.id, CohortMember.cohort_id.in_(taught)
        )
    )
    return person if member is not None else None


def job_for(session: Session, viewer: Viewer, job_id: int):
    """A background job the viewer may follow: one they started; administrators any. Else
    ``None`` (a 404), so job numbers reveal nothing. The result may hold personal data (one-time
    links, an export of a cohort), which is why a co-instructor does not see it either."""
    from lms.models.jobs import Job

    job = session.get(Job, job_id)
    if job is None:
        return None
    if job.started_by == viewer.id or viewer.role == "admin":
        return job
    return None
