"""Cohorts: creating, joining by code, invitations, members, assignments with statuses, and the
progress matrix.

Consent: a person joins a cohort by typing its join code, by accepting an invitation (sent to an
e-mail address, ``invite``; an instructor's roster invites every row), or when an administrator adds
them (``add_member``; an administrator's roster also creates missing accounts). Inviting never
looks at accounts, so its answer is the same whether or not an address has one. Each invitation
has a link (``invitation_token``, signed, not stored) that leads its person to log in, or register
first, and accept.

The matrix reads the hours ledger (``ledger.hours_for_learners``), the quiz results and the
certificates for all members at once: a fixed number of queries whatever the cohort's size.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import Signer
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from lms.certificates import codes
from lms.certificates.codes import ALPHABET
from lms.content import Catalog
from lms.content.schema import Course
from lms.models.certificates import Certificate
from lms.models.cohorts import (
    Assignment,
    Cohort,
    CohortInstructor,
    CohortInvitation,
    CohortMember,
)
from lms.models.users import User
from lms.services import (
    ServiceError,
    access,
    accounts,
    audit,
    enrolment,
    ledger,
    names,
    quizzes,
)
from lms.services.emails import checked_email

JOIN_CODE_LENGTH = 8


def _new_join_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(JOIN_CODE_LENGTH))


def normalise_join_code(typed: str) -> str:
    return codes.read_typed(typed)


def create(
    session: Session,
    catalog: Catalog,
    *,
    name: str,
    course_slug: str,
    starts_on: date,
    ends_on: date,
    organisation_id: int | None,
    by: int,
    now: datetime,
) -> Cohort:
    if catalog.course(course_slug) is None:
        raise ServiceError(_("Choose a course."), "course")
    if not name.strip():
        raise ServiceError(_("Give the cohort a name."), "name")
    names.check_label(name, "name")
    if ends_on < starts_on:
        raise ServiceError(_("The end date is before the start date."), "ends_on")
    cohort = Cohort(
        name=name.strip()[:160],
        course_slug=course_slug,
        starts_on=starts_on,
        ends_on=ends_on,
        organisation_id=organisation_id,
        join_code=_new_join_code(),
        created_by=by,
        created_at=now,
    )
    session.add(cohort)
    session.flush()
    session.add(CohortInstructor(cohort_id=cohort.id, user_id=by))
    session.flush()
    return cohort


def instructors(session: Session, cohort: Cohort) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(CohortInstructor, CohortInstructor.user_id == User.id)
            .where(CohortInstructor.cohort_id == cohort.id)
            .order_by(User.full_name)
        )
    )


def add_instructor(session: Session, cohort: Cohort, email: str) -> User:
    person = accounts.find_by_email(session, email)
    if person is None or not access.is_staff(person):
        raise ServiceError(_("No instructor has that e-mail address."), "email")
    exists = session.get(CohortInstructor, (cohort.id, person.id))
    if exists is None:
        session.add(CohortInstructor(cohort_id=cohort.id, user_id=person.id))
        session.flush()
    return person


def add_member(
    session: Session, catalog: Catalog, cohort: Cohort, user_id: int, *, by: int | None, now
) -> bool:
    """Enrol the learner in the cohort's course and add them; False if already a member.

    Only for the ways a person joins with consent (their join code, their accepted invitation, an
    administrator, an account a roster has just created). Any invitation of theirs to this cohort
    is settled by it and removed.
    """
    enrolment.enrol(session, catalog, user_id, cohort.course_slug, now=now)
    email = session.scalar(select(User.email).where(User.id == user_id))
    session.execute(
        delete(CohortInvitation).where(
            CohortInvitation.cohort_id == cohort.id, CohortInvitation.email == email
        )
    )
    if session.get(CohortMember, (cohort.id, user_id)) is not None:
        return False
    session.add(CohortMember(cohort_id=cohort.id, user_id=user_id, added_at=now, added_by=by))
    session.flush()
    return True


MAX_INVITATIONS = 500


def parse_emails(typed: str) -> list[str]:
    """The addresses in a text box (one per line, or separated by commas, semicolons or spaces),
    normalised and without repeats; every malformed address refuses the whole list."""
    candidates = typed.replace(",", " ").replace(";", " ").split()
    emails, bad = [], []
    for candidate in candidates:
        email = checked_email(candidate)
        if email is None:
            bad.append(candidate)
            continue
        if email not in emails:
            emails.append(email)
    if bad:
        raise ServiceError(
            _(
                "These are not e-mail addresses (nobody was invited): %(addresses)s.",
                addresses=", ".join(bad[:20]),
            ),
            "emails",
        )
    if not emails:
        raise ServiceError(_("Give at least one e-mail address."), "emails")
    if len(emails) > MAX_INVITATIONS:
        raise ServiceError(
            _("Invite at most %(count)d people at once.", count=MAX_INVITATIONS), "emails"
        )
    return emails


def invite(
    session: Session, cohort: Cohort, emails: Iterable[str], *, by: int, now: datetime
) -> dict[str, CohortInvitation]:
    """Invite each address to the cohort, whether or not it has an account (accounts are never
    looked at); return the invitation of every address that is not a member already.

    Addresses already invited (or that declined) keep their invitation as it is, so the caller's
    answer can be the same for every address: it must never depend on whether an address has an
    account.
    """
    emails = list(dict.fromkeys(accounts.normalise_email(e) for e in emails))
    members = set(
        session.scalars(
            select(User.email)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == cohort.id, User.email.in_(emails))
        )
    )
    found = {
        i.email: i
        for i in session.scalars(
            select(CohortInvitation).where(
                CohortInvitation.cohort_id == cohort.id, CohortInvitation.email.in_(emails)
            )
        )
    }
    for email in emails:
        if email in members or email in found:
            continue
        found[email] = CohortInvitation(cohort_id=cohort.id, email=email, invited_by=by,
                                        invited_at=now)  # fmt: skip
        session.add(found[email])
    session.flush()
    return {email: found[email] for email in emails if email not in members}


_INVITATION_SALT = "lms-cohort-invitation"


def _signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt=_INVITATION_SALT, digest_method=hashlib.sha256)


def _signed_part(invitation: CohortInvitation) -> str:
    return f"{invitation.id}:{invitation.cohort_id}:{invitation.email}"


def invitation_token(secret_key: str, invitation: CohortInvitation) -> str:
    """The invitation link's token: its id and a signature over the id, cohort and address (so a
    reused id never revives a link). Nothing is stored; the same invitation always has the same
    link, which no longer works once it is accepted, declined or withdrawn."""
    signature = _signer(secret_key).get_signature(_signed_part(invitation)).decode()
    return f"{invitation.id}.{signature}"


def invitation_by_token(session: Session, secret_key: str, token: str) -> CohortInvitation | None:
    """The open (not declined) invitation of this link, else ``None``."""
    number, _, signature = token.partition(".")
    if not (number.isascii() and number.isdecimal() and len(number) <= 12 and signature):
        return None
    invitation = session.get(CohortInvitation, int(number))
    if invitation is None or invitation.declined_at is not None:
        return None
    if not _signer(secret_key).verify_signature(_signed_part(invitation), signature):
        return None
    return invitation


def waiting_count(session: Session, cohort: Cohort) -> int:
    """How many invitations of the cohort wait for an answer (the matrix says so)."""
    return session.scalar(
        select(func.count())
        .select_from(CohortInvitation)
        .where(CohortInvitation.cohort_id == cohort.id, CohortInvitation.declined_at.is_(None))
    )


def invitations_of(session: Session, cohort: Cohort) -> list[CohortInvitation]:
    """What the cohort's instructors see of people who have not joined: the invited addresses."""
    return list(
        session.scalars(
            select(CohortInvitation)
            .where(CohortInvitation.cohort_id == cohort.id)
            .order_by(CohortInvitation.email)
        )
    )


@dataclass(frozen=True)
class PendingInvitation:
    invitation: CohortInvitation
    cohort: Cohort
    course_title: str
    invited_by: str


def invitations_for(
    session: Session, catalog: Catalog, email: str, *, locale: str
) -> list[PendingInvitation]:
    """The invitations waiting for the person with this e-mail (their dashboard lists them), each
    course named in ``locale``."""
    rows = session.execute(
        select(CohortInvitation, Cohort, User.full_name)
        .join(Cohort, Cohort.id == CohortInvitation.cohort_id)
        .outerjoin(User, User.id == CohortInvitation.invited_by)
        .where(
            CohortInvitation.email == accounts.normalise_email(email),
            CohortInvitation.declined_at.is_(None),
        )
        .order_by(CohortInvitation.invited_at, CohortInvitation.id)
    ).all()
    result = []
    for invitation, cohort, by_name in rows:
        course = catalog.course(cohort.course_slug)
        result.append(
            PendingInvitation(
                invitation,
                cohort,
                course.title_in(locale) if course else cohort.course_slug,
                by_name or "",
            )
        )
    return result


def _ended(cohort: Cohort) -> str:
    return _(
        "This cohort ended on %(date)s. Ask your instructor.",
        date=format_date(cohort.ends_on, "d MMMM y"),
    )


def accept(
    session: Session, catalog: Catalog, invitation: CohortInvitation, user_id: int, *, today, now
) -> Cohort:
    """The invitee joins (``access.invitation_for`` has checked that the invitation is theirs)."""
    cohort = session.get(Cohort, invitation.cohort_id)
    if today > cohort.ends_on:
        raise ServiceError(_ended(cohort))
    add_member(session, catalog, cohort, user_id, by=invitation.invited_by, now=now)
    audit.record(session, user_id, "invitation accepted", f"cohort:{cohort.id}", now=now)
    return cohort


def decline(session: Session, invitation: CohortInvitation, user_id: int, *, now) -> None:
    """Kept as declined, so that the cohort cannot invite the address again until an instructor
    removes the invitation."""
    invitation.declined_at = now
    audit.record(session, user_id, "invitation declined", f"cohort:{invitation.cohort_id}", now=now)
    session.flush()


def claim_for_mail(
    session: Session, invitation_ids: Iterable[int], *, now: datetime
) -> list[CohortInvitation]:
    """The invitations among ``invitation_ids`` still waiting for an answer that no e-mail has
    told of yet, each marked as told (``emailed_at``) by one statement that only one caller can
    win: a task run twice, or two at once, sends each message once. Declined (and withdrawn)
    invitations are never told. The caller reads what the messages need, commits, sends, and
    gives back (``release_mail_claim``) those that did not go."""
    ids = sorted(set(invitation_ids))
    if not ids:
        return []
    won = session.scalars(
        update(CohortInvitation)
        .where(
            CohortInvitation.id.in_(ids),
            CohortInvitation.emailed_at.is_(None),
            CohortInvitation.declined_at.is_(None),
        )
        .values(emailed_at=now)
        .returning(CohortInvitation.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not won:
        return []
    return list(
        session.scalars(
            select(CohortInvitation)
            .where(CohortInvitation.id.in_(won))
            .order_by(CohortInvitation.id)
            .execution_options(populate_existing=True)
        )
    )


def release_mail_claim(session: Session, invitation_ids: Iterable[int]) -> None:
    """Mark invitations as not told after all (their e-mail did not go): inviting the address
    again sends it."""
    ids = list(invitation_ids)
    if ids:
        session.execute(
            update(CohortInvitation)
            .where(CohortInvitation.id.in_(ids))
            .values(emailed_at=None)
            .execution_options(synchronize_session=False)
        )


def withdraw(session: Session, invitation: CohortInvitation, *, by: int, now) -> None:
    audit.record(session, by, "invitation withdrawn", f"cohort:{invitation.cohort_id}", now=now,
                 email=invitation.email)  # fmt: skip
    session.delete(invitation)
    session.flush()


def join(
    session: Session, catalog: Catalog, user_id: int, typed_code: str, *, today, now
) -> Cohort:
    code = normalise_join_code(typed_code)
    cohort = session.scalar(select(Cohort).where(Cohort.join_code == code)) if code else None
    if cohort is None:
        raise ServiceError(
            _("No cohort has this join code. Check it with your instructor."), "code"
        )
    if today > cohort.ends_on:
        raise ServiceError(_ended(cohort), "code")
    add_member(session, catalog, cohort, user_id, by=None, now=now)
    return cohort


def member_ids(session: Session, cohort: Cohort) -> list[int]:
    return list(
        session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id))
    )


def set_assignment(
    session: Session,
    catalog: Catalog,
    cohort: Cohort,
    module_slug: str | None,
    due_on: date,
    *,
    by: int,
    now,
) -> Assignment:
    if module_slug is not None and catalog.module(cohort.course_slug, module_slug) is None:
        raise ServiceError(_("Choose a module of the cohort's course."), "module")
    existing = session.scalar(
        select(Assignment).where(
            Assignment.cohort_id == cohort.id,
            Assignment.module_slug.is_(None)
            if module_slug is None
            else Assignment.module_slug == module_slug,
        )
    )
    if existing is not None:
        existing.due_on = due_on
        session.flush()
        return existing
    assignment = Assignment(
        cohort_id=cohort.id, module_slug=module_slug, due_on=due_on, created_by=by, created_at=now
    )
    session.add(assignment)
    session.flush()
    return assignment


def assignments_of(session: Session, cohort_ids: list[int]) -> list[Assignment]:
    if not cohort_ids:
        return []
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.cohort_id.in_(cohort_ids))
            .order_by(Assignment.due_on, Assignment.id)
        )
    )


# --- statuses ------------------------------------------------------------------------------------
NOT_STARTED, IN_PROGRESS, COMPLETE, OVERDUE = "not started", "in progress", "complete", "overdue"
#: each status as a page or a person's export says it (the status itself is data: CSS classes)
STATUS_LABELS = {
    NOT_STARTED: _l("not started"),
    IN_PROGRESS: _l("in progress"),
    COMPLETE: _l("complete"),
    OVERDUE: _l("overdue"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def assignment_status(
    course_hours: ledger.CourseHours,
    passed: set[str],
    attempted: set[str],
    module_slug: str | None,
    due_on: date,
    today: date,
) -> str:
    """The status of one assignment for one learner on ``today`` (a plain function)."""
    return progress_status(
        course_hours.course, course_hours.progress, passed, attempted, module_slug, due_on, today
    )


def progress_status(
    course: Course,
    progress: ledger.Progress,
    passed: frozenset[str] | set[str],
    attempted: frozenset[str] | set[str],
    module_slug: str | None,
    due_on: date,
    today: date,
) -> str:
    """The rule of ``assignment_status``, from a learner's ``ledger.Progress`` (which a whole
    cohort's come as): complete when every module assigned has its hours and its quiz (if any)
    passed; overdue past the due day; in progress once any time or quiz attempt counts."""
    modules = [m for m in course.modules if module_slug is None or m.slug == module_slug]
    complete = progress.complete
    if all(m.slug in complete and (m.quiz is None or m.slug in passed) for m in modules):
        return COMPLETE
    if today > due_on:
        return OVERDUE
    started = progress.started
    return (
        IN_PROGRESS
        if any(m.slug in started or m.slug in attempted for m in modules)
        else NOT_STARTED
    )


@dataclass(frozen=True)
class MatrixLearner:
    id: int
    full_name: str
    email: str


@dataclass(frozen=True)
class MatrixRow:
    learner: MatrixLearner
    hours: ledger.CourseHours
    quizzes: dict[str, quizzes.ModuleResult]
    certificate_serial: str | None
    statuses: dict[int, str]  #: assignment id -> status
    certificate_revoked: bool = False

    @property
    def overdue(self) -> bool:
        return OVERDUE in self.statuses.values()

    def cells(self) -> list[tuple[int, int | None, bool]]:
        """Per module, in order: (minutes credited, best quiz score or None, module done)."""
        out = []
        for mh in self.hours.modules:
            q = self.quizzes.get(mh.module.slug)
            score = q.best_score if q else None
            out.append((mh.credited_seconds // 60, score, mh.complete and bool(q and q.passed)))
        return out


@dataclass(frozen=True)
class Matrix:
    cohort: Cohort
    course: Course
    assignments: list[Assignment]
    rows: list[MatrixRow]  #: the window asked for (all, without one)
    total: int = 0  #: learners after the filter, in every window


def matrix(
    session: Session,
    catalog: Catalog,
    cohort: Cohort,
    *,
    today: date,
    only_overdue: bool = False,
    by_progress: bool = False,
    window: slice | None = None,
) -> Matrix:
    """The cohort's learners with their hours, quiz results, certificate and assignment statuses,
    by name (or least progress first), only the overdue ones if asked, in the same queries whatever
    the cohort's size. The filter and the sort apply to the whole cohort from per-learner sums
    made in the database (``ledger.progress_of_learners``, ``quizzes.passed_of_learners``); only
    the learners of ``window`` (a page; all without one: exports) get their full ledger."""
    course = catalog.course(cohort.course_slug)
    if course is None:
        raise ServiceError(_("This cohort's course is no longer offered."))
    members = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
    learners = [
        MatrixLearner(*row)
        for row in session.execute(
            select(User.id, User.full_name, User.email)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == cohort.id)
            .order_by(User.full_name, User.id)
        )
    ]
    progress = ledger.progress_of_learners(session, course, members)
    tried = quizzes.passed_of_learners(session, course, members)
    assignments = assignments_of(session, [cohort.id])
    nothing, untried = ledger.no_progress(course), (frozenset(), frozenset())
    listed = []
    for learner in learners:
        mine = progress.get(learner.id, nothing)
        passed, attempted = tried.get(learner.id, untried)
        statuses = {
            a.id: progress_status(course, mine, passed, attempted, a.module_slug, a.due_on, today)
            for a in assignments
        }
        if only_overdue and OVERDUE not in statuses.values():
            continue
        listed.append((learner, mine.credited_seconds, statuses))
    if by_progress:
        listed.sort(key=lambda entry: (entry[1], entry[0].full_name))
    shown = listed if window is None else listed[window]
    ids = [learner.id for learner, _seconds, _statuses in shown]
    among = members if window is None else None  # a page asks by its ids
    credited = ledger.hours_for_learners(session, course, ids, among=among)
    results = quizzes.results_of(session, course.slug, ids, among=among)
    issued = {
        user_id: (serial, revoked_at is not None)
        for user_id, serial, revoked_at in _current_certificates(
            session, course.slug, ids if among is None else among
        )
    }
    rows = []
    for learner, _seconds, statuses in shown:
        serial, revoked = issued.get(learner.id, (None, False))
        rows.append(
            MatrixRow(learner, credited[learner.id], results[learner.id], serial, statuses, revoked)
        )
    return Matrix(cohort, course, assignments, rows, len(listed))


def _current_certificates(session: Session, course_slug: str, members):
    """(learner, serial, revoked_at) of each current certificate (the latest generation) of
    ``members`` (a query of user ids, or a list)."""
    latest = (
        select(Certificate.user_id, func.max(Certificate.generation).label("generation"))
        .where(Certificate.course_slug == course_slug, Certificate.user_id.in_(members))
        .group_by(Certificate.user_id)
        .subquery()
    )
    return session.execute(
        select(Certificate.user_id, Certificate.serial, Certificate.revoked_at)
        .join(
            latest,
            (Certificate.user_id == latest.c.user_id)
            & (Certificate.generation == latest.c.generation),
        )
        .where(Certificate.course_slug == course_slug)
    ).all()


@dataclass(frozen=True)
class LearnerAssignment:
    cohort: Cohort
    assignment: Assignment
    label: str
    status: str


def assignments_for_learner(
    session: Session, catalog: Catalog, user_id: int, *, today: date, locale: str = "en"
) -> list[LearnerAssignment]:
    """The learner's assignments across their cohorts, with their status today; each module named
    in ``locale`` (its translated title where course.yaml has one)."""
    mine = list(
        session.scalars(
            select(Cohort)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == user_id)
        )
    )
    by_id = {c.id: c for c in mine}
    result = []
    ledgers: dict[str, ledger.CourseHours] = {}
    quiz_state: dict[str, tuple[set[str], set[str]]] = {}
    for assignment in assignments_of(session, list(by_id)):
        cohort = by_id[assignment.cohort_id]
        course = catalog.course(cohort.course_slug)
        if course is None:
            continue
        if course.slug not in ledgers:
            ledgers[course.slug] = ledger.course_hours(session, course, user_id)
            results = quizzes.results(session, user_id, course.slug)
            quiz_state[course.slug] = ({m for m, r in results.items() if r.passed}, set(results))
        passed, attempted_modules = quiz_state[course.slug]
        module = course.module(assignment.module_slug) if assignment.module_slug else None
        label = (
            _("%(course)s: Module %(number)d: %(module)s", course=course.title,
              number=module.number, module=module.title_in(locale))
            if module
            else _("%(course)s: the whole course", course=course.title)
        )  # fmt: skip
        status = assignment_status(
            ledgers[course.slug], passed, attempted_modules, assignment.module_slug,
            assignment.due_on, today,
        )  # fmt: skip
        result.append(LearnerAssignment(cohort, assignment, label, status))
    return result
