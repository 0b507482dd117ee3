"""The single policy point: who may see or change what.

Views ask here; they never compare roles or owners themselves. Scoped queries (what a user may list)
and single-object checks use the same rules, so a list can never show what a page would refuse.

Cohort membership (``CohortMember``) is what lets an instructor reach a learner. An invitation
(``CohortInvitation``) never does: until the person accepts it, they are no member for any purpose
here, and an instructor sees only the invited e-mail address.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def knowledge_test_for(session: Session, viewer: Viewer, test_id: int):
    """A pre-test or post-test: the viewer's own, else ``None`` (a 404). Nobody else sees one,
    administrators included: its answers are the learner's alone, and figures count scores."""
    from lms.models.figures import KnowledgeTest

    test = session.get(KnowledgeTest, test_id)
    if test is None or test.user_id != viewer.id:
        return None
    return test


#: jobs that only the person who started them may follow, administrators included: a cohort's
#: certificates ZIP (every holder's name and certificate, made for the instructor who asked)
STARTER_ONLY_JOBS = frozenset({"certificates-zip"})


def job_for(session: Session, viewer: Viewer, job_id: int):
    """A background job the viewer may follow: one they started; administrators any other than
    those in ``STARTER_ONLY_JOBS``. Else ``None`` (a 404), so job numbers reveal nothing. The
    result may hold personal data (one-time links, an export of a cohort), which is why a
    co-instructor does not see it either."""
    from lms.models.jobs import Job

    job = session.get(Job, job_id)
    if job is None:
        return None
    if job.started_by is not None and job.started_by == viewer.id:
        return job
    if viewer.role == "admin" and job.kind not in STARTER_ONLY_JOBS:
        return job
    return None


# --- programme figures ------------------------------------------------------------------------------
#: the roles that see the programme's figures: each through its own scope (``figures_scope``)
FIGURES_ROLES = frozenset({"instructor", "programme_manager", "admin"})
#: below this many people a figure is shown as "< 5" to anyone but an administrator
SMALL_CELL = 5


def may_see_figures(viewer: Viewer) -> bool:
    return viewer.role in FIGURES_ROLES


@dataclass(frozen=True)
class FiguresScope:
    """Whose enrolments a viewer's figures count, and how they may be shown.

    Administrators: everyone, every cell as counted, and the learner-level export. A programme
    manager: everyone, or the people of one province or one organisation (as an administrator
    set); an instructor: the members of the cohorts they teach, in those cohorts' courses. Both see
    small cells suppressed and nothing about any one person.
    """

    province: str | None = None
    organisation: str | None = None
    taught_by: int | None = None  #: an instructor's id
    suppress: bool = True  #: counts of 1 to 4 people are shown as "< 5"
    personal_data: bool = False  #: may download the learner-level export

    def small(self, people: int) -> bool:
        """Is a figure about this many people one to hide from this viewer?"""
        return self.suppress and 0 < people < SMALL_CELL


def figures_scope(session: Session, viewer: Viewer) -> FiguresScope | None:
    """The viewer's scope, or ``None`` when they see no figures (a 403)."""
    from lms.models.users import User

    if viewer.role == "admin":
        return FiguresScope(suppress=False, personal_data=True)
    if viewer.role == "instructor":
        return FiguresScope(taught_by=viewer.id)
    if viewer.role == "programme_manager":
        person = session.get(User, viewer.id)
        if person is None:
            return None
        return FiguresScope(province=person.scope_province, organisation=person.scope_organisation)
    return None


def figures_population(scope: FiguresScope, enrolment, user):
    """The SQL condition on an enrolment row (and its learner's ``user`` row) for the enrolments
    ``scope`` may count: the one rule behind every figure, chart and export of the figures page.
    ``enrolment`` and ``user`` are the (aliased) tables of the caller's query."""
    from sqlalchemy import and_, exists, select, true

    from lms.models.cohorts import Cohort, CohortInstructor, CohortMember

    conditions = []
    if scope.province is not None:
        conditions.append(user.c.province == scope.province)
    if scope.organisation is not None:
        conditions.append(user.c.organisation == scope.organisation)
    if scope.taught_by is not None:
        taught = select(CohortInstructor.cohort_id).where(
            CohortInstructor.user_id == scope.taught_by
        )
        conditions.append(
            exists(
                select(CohortMember.user_id)
                .join(Cohort, Cohort.id == CohortMember.cohort_id)
                .where(
                    CohortMember.user_id == enrolment.c.user_id,
                    Cohort.course_slug == enrolment.c.course_slug,
                    Cohort.id.in_(taught),
                )
            )
        )
    return and_(true(), *conditions)


def figures_cohorts(scope: FiguresScope):
    """The cohorts a viewer may pick in the figures' filter: an instructor's own; for a limited
    programme manager those with a member in their province or organisation; else all."""
    from sqlalchemy import exists, select

    from lms.models.cohorts import Cohort, CohortInstructor, CohortMember
    from lms.models.users import User

    query = select(Cohort.id, Cohort.name, Cohort.course_slug).order_by(Cohort.name, Cohort.id)
    if scope.taught_by is not None:
        taught = select(CohortInstructor.cohort_id).where(
            CohortInstructor.user_id == scope.taught_by
        )
        query = query.where(Cohort.id.in_(taught))
    if scope.province is not None or scope.organisation is not None:
        member = select(CohortMember.user_id).join(User, User.id == CohortMember.user_id)
        member = member.where(CohortMember.cohort_id == Cohort.id)
        if scope.province is not None:
            member = member.where(User.province == scope.province)
        if scope.organisation is not None:
            member = member.where(User.organisation == scope.organisation)
        query = query.where(exists(member))
    return query
