"""Certificates: who is eligible, issuing exactly once with a gapless serial, revoking, finding.

Eligibility reads the hours ledger and the quiz results, nothing else: every module fully credited
and every module quiz passed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from lms.certificates import codes
from lms.certificates.ob3 import STATUS_LIST_BITS
from lms.content import Catalog
from lms.content.schema import Course
from lms.database import Prepared, Transaction
from lms.formatting import format_minutes
from lms.models.certificates import Certificate, SerialCounter
from lms.models.quizzes import QuizAttempt
from lms.models.users import User
from lms.services import ServiceError, audit, ledger, quizzes


@dataclass(frozen=True)
class Issuer:
    """Who issues certificates and who signs them (from settings, passed in by the web layer)."""

    name: str
    signatory_name: str
    signatory_title: str


@dataclass(frozen=True)
class Missing:
    module_number: int
    module_title: str
    minutes_to_go: int  #: whole minutes still to credit, rounded up
    quiz_passed: bool

    def describe(self) -> str:
        parts = []
        if self.minutes_to_go:
            parts.append(f"{format_minutes(self.minutes_to_go)} to go")
        if not self.quiz_passed:
            parts.append("quiz not passed yet")
        return f"Module {self.module_number}: " + "; ".join(parts)


@dataclass(frozen=True)
class Eligibility:
    course: Course
    hours: ledger.CourseHours
    missing: tuple[Missing, ...]

    @property
    def eligible(self) -> bool:
        return not self.missing


def eligibility(session: Session, course: Course, user_id: int) -> Eligibility:
    summary = ledger.course_hours(session, course, user_id)
    results = quizzes.results(session, user_id, course.slug)
    missing = []
    for module_hours in summary.modules:
        module = module_hours.module
        quiz_ok = module.quiz is None or (module.slug in results and results[module.slug].passed)
        to_go = -(-module_hours.missing_seconds // 60)
        if to_go or not quiz_ok:
            missing.append(Missing(module.number, module.title, to_go, quiz_ok))
    return Eligibility(course, summary, tuple(missing))


_PASSED_MODULES = Prepared(
    select(QuizAttempt.module_slug)
    .where(
        QuizAttempt.user_id == bindparam("user_id"),
        QuizAttempt.course_slug == bindparam("course_slug"),
        QuizAttempt.passed.is_(True),
    )
    .distinct()
)


def quizzes_all_passed(conn: Connection | Transaction, course: Course, user_id: int) -> bool:
    """Has the learner passed every quiz of ``course``? One cheap statement, asked before the
    hours: most learners are not near the end. It runs on every credited heartbeat, inside the
    write transaction, so it is a ``Prepared`` statement."""
    needed = {m.slug for m in course.modules if m.quiz is not None}
    if not needed:
        return True
    rows = _PASSED_MODULES.run(conn, {"user_id": user_id, "course_slug": course.slug})
    return needed <= {slug for (slug,) in rows}


def _quizzes_all_passed(session: Session, course: Course, user_id: int) -> bool:
    session.flush()  # a prepared statement does not autoflush: a quiz just passed here counts
    return quizzes_all_passed(session.connection(), course, user_id)


def find_for(session: Session, user_id: int, course_slug: str) -> Certificate | None:
    return session.scalar(
        select(Certificate).where(
            Certificate.user_id == user_id, Certificate.course_slug == course_slug
        )
    )


def _next_number(session: Session, key: str, year: int) -> int:
    """Gapless: one atomic increment; the counter row (or SQLite's write lock) serialises issuers."""
    conn = session.connection()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(
        insert(SerialCounter)
        .values(course_code=key, year=year, last_number=0)
        .on_conflict_do_nothing()
    )
    return conn.execute(
        update(SerialCounter)
        .where(SerialCounter.course_code == key, SerialCounter.year == year)
        .values(last_number=SerialCounter.last_number + 1)
        .returning(SerialCounter.last_number)
    ).scalar_one()


def _next_serial(session: Session, course: Course, year: int) -> str:
    return codes.serial(course.code, year, _next_number(session, course.code, year))


#: the counter row of the Open Badges 3.0 status list indexes (no course code looks like this)
STATUS_COUNTER = ("~STATUS", 0)


def next_status_index(session: Session) -> int:
    """The certificate's bit in the revocation status list: allocated once, at issue, never reused."""
    return _next_number(session, *STATUS_COUNTER)


def status_lists_in_use(session: Session) -> int:
    """How many status lists the issued certificates' indexes fill (at least one)."""
    highest = session.scalar(select(func.max(Certificate.status_index))) or 0
    return max(1, highest // STATUS_LIST_BITS + 1)


def revoked_status_indexes(session: Session, first: int, last: int) -> list[int]:
    """The status indexes in ``first..last`` whose bit is set: the revoked certificates'. The status
    list is computed from this whenever it is served, so ``revoke`` sets the bit and ``restore``
    clears it in the same transaction as the change itself."""
    return list(
        session.scalars(
            select(Certificate.status_index).where(
                Certificate.revoked_at.is_not(None),
                Certificate.status_index.between(first, last),
            )
        )
    )


def recipient_hash(email: str, salt: str) -> str:
    """Open Badges 2.0 hashed e-mail identity: ``sha256$`` + hex digest of e-mail + salt."""
    return "sha256$" + hashlib.sha256((email.lower() + salt).encode()).hexdigest()


def issue(
    session: Session,
    catalog: Catalog,
    issuer: Issuer,
    user_id: int,
    course_slug: str,
    *,
    now: datetime,
    by: int | None = None,
) -> Certificate:
    """Issue the certificate if the learner is eligible; exactly once per learner and course.

    Raises ``ServiceError`` listing what is missing when the learner is not eligible. Returns the
    existing certificate if one was issued already (by this request or a concurrent one).
    """
    course = catalog.course(course_slug)
    if course is None:
        raise ServiceError("There is no such course.")
    existing = find_for(session, user_id, course.slug)
    if existing is not None:
        return existing
    status = eligibility(session, course, user_id)
    if not status.eligible:
        raise ServiceError(
            "Not eligible yet: " + "; ".join(m.describe() for m in status.missing) + "."
        )
    user = session.get(User, user_id)
    with session.begin_nested() as savepoint:
        serial = _next_serial(session, course, now.year)
        # The counter row is now locked until commit: anyone issuing this learner's certificate
        # concurrently has either committed (and we see it) or waits for us.
        again = find_for(session, user_id, course.slug)
        if again is not None:
            savepoint.rollback()  # give the serial number back: no gaps
            return again
        salt = secrets.token_hex(16)
        certificate = Certificate(
            user_id=user_id,
            course_slug=course.slug,
            serial=serial,
            code=codes.new_code(),
            name=user.full_name,
            course_title=course.title,
            certificate_title=course.certificate_title,
            minutes=status.hours.credited_seconds // 60,
            modules=[f"Module {m.number}: {m.title}" for m in course.modules],
            issued_at=now,
            issuer_name=issuer.name,
            signatory_name=issuer.signatory_name,
            signatory_title=issuer.signatory_title,
            content_version=catalog.version,
            issued_by=by,
            recipient_salt=salt,
            recipient_hash=recipient_hash(user.email, salt),
            status_index=next_status_index(session),
        )
        session.add(certificate)
        session.flush()
        audit.record(session, by, "certificate issued", f"certificate:{certificate.id}", now=now,
                     serial=serial, learner=user_id)  # fmt: skip
    return certificate


def issue_if_eligible(
    session: Session, catalog: Catalog, issuer: Issuer, user_id: int, course_slug: str, *, now
) -> Certificate | None:
    """Called by whatever may have completed the last requirement (a heartbeat, a quiz, a mark)."""
    course = catalog.course(course_slug)
    if course is None or not _quizzes_all_passed(session, course, user_id):
        return None
    if find_for(session, user_id, course.slug) is not None:
        return None
    try:
        return issue(session, catalog, issuer, user_id, course.slug, now=now)
    except ServiceError:
        return None


def revoke(session: Session, certificate: Certificate, reason: str, *, by: int, now) -> None:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ServiceError("Give the reason for revoking (it is shown on the verification page).")
    if certificate.revoked:
        raise ServiceError("This certificate is already revoked.")
    certificate.revoked_at, certificate.revoked_reason, certificate.revoked_by = (
        now,
        reason[:1000],
        by,
    )
    session.flush()


def restore(session: Session, certificate: Certificate, *, by: int, now: datetime) -> None:
    """Undo a mistaken revocation: the same certificate, code and URL are valid again."""
    if not certificate.revoked:
        raise ServiceError("This certificate is not revoked.")
    audit.record(session, by, "certificate restored", f"certificate:{certificate.id}", now=now,
                 serial=certificate.serial)  # fmt: skip
    certificate.revoked_at = certificate.revoked_reason = certificate.revoked_by = None
    session.flush()


def by_code(session: Session, typed: str) -> Certificate | None:
    code = codes.normalise(typed)
    if code is None:
        return None
    return session.scalar(select(Certificate).where(Certificate.code == code))


def of_learner(session: Session, user_id: int) -> list[Certificate]:
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user_id)
            .order_by(Certificate.issued_at)
        )
    )


def search(text: str) -> Select:
    """Administrators' search by name, serial or verification code, newest first: a query to page."""
    query = select(Certificate).order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    text = (text or "").strip()
    if text:
        code = codes.normalise(text)
        like = f"%{text.lower()}%"
        conditions = [
            func.lower(Certificate.name).like(like),
            func.lower(Certificate.serial).like(like),
        ]
        if code:
            conditions.append(Certificate.code == code)
        query = query.where(or_(*conditions))
    return query
