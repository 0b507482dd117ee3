"""Certificates: who is eligible, issuing exactly once with a gapless serial, status (valid,
expired, revoked), revoking and restoring with a history that is never overwritten, finding.

Eligibility reads the hours ledger and the quiz results, nothing else: every module fully credited
and every module quiz passed. A learner's *current* certificate of a course is the latest
generation (``lms.services.renewal`` issues the next one after refresher training); earlier ones are
kept, each with its own serial, code, expiry and status.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from lms.certificates import codes
from lms.certificates.ob3 import STATUS_LIST_BITS
from lms.certificates.view import module_line
from lms.content import Catalog
from lms.content.schema import Course
from lms.database import Prepared, Transaction, insert_for
from lms.formatting import format_minutes
from lms.models.certificates import Certificate, CertificateEvent, SerialCounter
from lms.models.quizzes import QuizAttempt
from lms.models.users import User
from lms.services import ServiceError, audit, ledger

VALID, EXPIRED, REVOKED = "valid", "expired", "revoked"


def status(certificate: Certificate, now: datetime) -> str:
    """``valid``, ``expired`` or ``revoked``: the one rule every page, PDF and badge shows.

    Revoked wins over expired (a withdrawn certificate says so even after its expiry date); an
    expired certificate was genuine and is shown as expired, never as invalid or revoked.
    """
    if certificate.revoked_at is not None:
        return REVOKED
    if certificate.expires_at is not None and now >= certificate.expires_at:
        return EXPIRED
    return VALID


def years_after(moment: datetime, years: int) -> datetime:
    """The same day and time ``years`` later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def expiry_for(course: Course, start: datetime) -> datetime | None:
    """When a certificate of ``course`` whose validity starts at ``start`` expires (None: never)."""
    if course.valid_for_years is None:
        return None
    return years_after(start, course.valid_for_years)


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
            parts.append(_("%(time)s to go", time=format_minutes(self.minutes_to_go)))
        if not self.quiz_passed:
            parts.append(_("quiz not passed yet"))
        return _(
            "Module %(number)d: %(missing)s", number=self.module_number, missing="; ".join(parts)
        )


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
    passed = passed_modules(session, course.slug, user_id)
    missing = []
    for module_hours in summary.modules:
        module = module_hours.module
        quiz_ok = module.quiz is None or module.slug in passed
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


def passed_modules(
    session: Session, course_slug: str, user_id: int, *, since: datetime | None = None
) -> set[str]:
    """The modules whose quiz the learner has passed (with an attempt started at or after
    ``since``, when given: the refresher counts only attempts taken after it opened)."""
    query = select(QuizAttempt.module_slug).where(
        QuizAttempt.user_id == user_id,
        QuizAttempt.course_slug == course_slug,
        QuizAttempt.passed.is_(True),
    )
    if since is not None:
        query = query.where(QuizAttempt.started_at >= since)
    return set(session.scalars(query.distinct()))


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
    """The learner's current certificate of the course (the latest generation), or None."""
    return session.scalar(
        select(Certificate)
        .where(Certificate.user_id == user_id, Certificate.course_slug == course_slug)
        .order_by(Certificate.generation.desc())
        .limit(1)
    )


def current_of(
    session: Session, course_slug: str, user_ids: Sequence[int]
) -> dict[int, Certificate]:
    """{learner: current certificate of the course} for those of ``user_ids`` who hold one."""
    if not user_ids:
        return {}
    found: dict[int, Certificate] = {}
    for certificate in session.scalars(
        select(Certificate)
        .where(Certificate.course_slug == course_slug, Certificate.user_id.in_(user_ids))
        .order_by(Certificate.generation)
    ):
        found[certificate.user_id] = certificate  # the latest generation wins
    return found


def record_event(
    session: Session,
    certificate: Certificate,
    kind: str,
    *,
    now: datetime,
    by: int | None,
    reason: str | None = None,
) -> None:
    """Add to the certificate's history (and the audit log). History rows are never changed."""
    session.add(
        CertificateEvent(certificate_id=certificate.id, kind=kind, at=now, by=by, reason=reason)
    )
    audit.record(session, by, f"certificate {kind}", f"certificate:{certificate.id}", now=now,
                 serial=certificate.serial, learner=certificate.user_id,
                 **({"reason": reason[:200]} if reason else {}))  # fmt: skip


@dataclass(frozen=True)
class HistoryEntry:
    event: CertificateEvent
    actor: str | None  #: who did it; None: the platform itself


def history(session: Session, certificate_id: int) -> list[HistoryEntry]:
    """A certificate's history, oldest first, with the name of whoever acted."""
    rows = session.execute(
        select(CertificateEvent, User.full_name)
        .outerjoin(User, User.id == CertificateEvent.by)
        .where(CertificateEvent.certificate_id == certificate_id)
        .order_by(CertificateEvent.at, CertificateEvent.id)
    ).all()
    return [HistoryEntry(event, name) for event, name in rows]


def generations(session: Session, certificate: Certificate) -> list[Certificate]:
    """Every certificate of the same learner and course, the first one first."""
    return list(
        session.scalars(
            select(Certificate)
            .where(
                Certificate.user_id == certificate.user_id,
                Certificate.course_slug == certificate.course_slug,
            )
            .order_by(Certificate.generation)
        )
    )


def renewed_by(session: Session, certificate: Certificate) -> Certificate | None:
    """The certificate that renewed this one, if any."""
    return session.scalar(select(Certificate).where(Certificate.renews_id == certificate.id))


def _next_number(session: Session, key: str, year: int) -> int:
    """Gapless: one atomic increment; the counter row (or SQLite's write lock) serialises issuers."""
    conn = session.connection()
    insert = insert_for(conn.dialect.name)
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


def next_serial(session: Session, course: Course, year: int) -> str:
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
        raise ServiceError(_("There is no such course."))
    existing = find_for(session, user_id, course.slug)
    if existing is not None:
        return existing
    status = eligibility(session, course, user_id)
    if not status.eligible:
        missing = "; ".join(m.describe() for m in status.missing)
        raise ServiceError(_("Not eligible yet: %(missing)s.", missing=missing))
    with session.begin_nested() as savepoint:
        serial = next_serial(session, course, now.year)
        # The counter row is now locked until commit: anyone issuing this learner's certificate
        # concurrently has either committed (and we see it) or waits for us.
        again = find_for(session, user_id, course.slug)
        if again is not None:
            savepoint.rollback()  # give the serial number back: no gaps
            return again
        certificate = new_certificate(
            session, catalog, issuer, course, user_id, serial, status.hours.credited_seconds,
            now=now, by=by, expires_at=expiry_for(course, now),
        )  # fmt: skip
        record_event(session, certificate, "issued", now=now, by=by)
    return certificate


def new_certificate(
    session: Session,
    catalog: Catalog,
    issuer: Issuer,
    course: Course,
    user_id: int,
    serial: str,
    credited_seconds: int,
    *,
    now: datetime,
    by: int | None,
    expires_at: datetime | None,
    renews: Certificate | None = None,
) -> Certificate:
    """The snapshot as printed, with a new serial and code (flushed, so it has an id)."""
    user = session.get(User, user_id)
    salt = secrets.token_hex(16)
    certificate = Certificate(
        user_id=user_id,
        course_slug=course.slug,
        serial=serial,
        code=codes.new_code(),
        name=user.full_name,
        course_title=course.title,
        certificate_title=course.certificate_title,
        minutes=credited_seconds // 60,
        modules=[module_line(m) for m in course.modules],
        issued_at=now,
        issuer_name=issuer.name,
        signatory_name=issuer.signatory_name,
        signatory_title=issuer.signatory_title,
        content_version=catalog.version,
        issued_by=by,
        recipient_salt=salt,
        recipient_hash=recipient_hash(user.email, salt),
        expires_at=expires_at,
        status_index=next_status_index(session),
        generation=1 if renews is None else renews.generation + 1,
        renews_id=None if renews is None else renews.id,
    )
    session.add(certificate)
    session.flush()
    return certificate


def issue_if_eligible(
    session: Session, catalog: Catalog, issuer: Issuer, user_id: int, course_slug: str, *, now
) -> Certificate | None:
    """The first certificate, if the learner has none and is now eligible. Services call it
    through ``lms.services.completion``, which also renews after refresher training."""
    course = catalog.course(course_slug)
    if course is None or not _quizzes_all_passed(session, course, user_id):
        return None
    if find_for(session, user_id, course.slug) is not None:
        return None
    try:
        return issue(session, catalog, issuer, user_id, course.slug, now=now)
    except ServiceError:
        return None


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ServiceError(
            _("Give the reason for revoking (it is shown on the verification page).")
        )
    return reason[:1000]


def revoke(session: Session, certificate: Certificate, reason: str, *, by: int, now) -> None:
    """Withdraw a certificate; its page says so, with the reason. Kept in its history."""
    reason = _reason(reason)
    if certificate.revoked:
        raise ServiceError(_("This certificate is already revoked."))
    certificate.revoked_at, certificate.revoked_reason, certificate.revoked_by = now, reason, by
    session.flush()
    record_event(session, certificate, "revoked", now=now, by=by, reason=reason)


def revoke_many(
    session: Session, certificate_ids: Sequence[int], reason: str, *, by: int, now: datetime
) -> list[Certificate]:
    """Revoke several certificates with one reason: all of them, or none (``ServiceError``)."""
    reason = _reason(reason)
    wanted = sorted(set(certificate_ids))
    if not wanted:
        raise ServiceError(_("Choose at least one certificate to revoke."))
    found = list(
        session.scalars(
            select(Certificate).where(Certificate.id.in_(wanted)).order_by(Certificate.serial)
        )
    )
    if len(found) != len(wanted):
        raise ServiceError(
            _("Some of the chosen certificates no longer exist; nothing was revoked.")
        )
    already = [c.serial for c in found if c.revoked]
    if already:
        raise ServiceError(
            _("These certificates are revoked already, so nothing was revoked: %(serials)s.",
              serials=", ".join(already))
        )  # fmt: skip
    for certificate in found:
        revoke(session, certificate, reason, by=by, now=now)
    return found


def restore(session: Session, certificate: Certificate, *, by: int, now: datetime) -> None:
    """Undo a mistaken revocation: the same certificate, code and URL are valid again. Who revoked
    it, when and why stay in its history."""
    if not certificate.revoked:
        raise ServiceError(_("This certificate is not revoked."))
    certificate.revoked_at = certificate.revoked_reason = certificate.revoked_by = None
    session.flush()
    record_event(session, certificate, "restored", now=now, by=by)


class Shown(NamedTuple):
    """What the public verification page shows of a certificate (``verification``)."""

    name: str
    certificate_title: str
    course_title: str
    minutes: int
    issued_at: datetime
    expires_at: datetime | None
    issuer_name: str
    serial: str
    code: str
    modules: tuple[str, ...]
    revoked_at: datetime | None
    revoked_reason: str | None
    renewed_serial: str | None  #: the certificate that renewed this one, if any
    renewed_issued_at: datetime | None
    course_slug: str  #: to name the modules in the reader's language


_renewal = aliased(Certificate)
_VERIFICATION = Prepared(
    select(
        Certificate.name, Certificate.certificate_title, Certificate.course_title,
        Certificate.minutes, Certificate.issued_at, Certificate.expires_at, Certificate.issuer_name,
        Certificate.serial, Certificate.code, Certificate.modules, Certificate.revoked_at,
        Certificate.revoked_reason, _renewal.serial, _renewal.issued_at, Certificate.course_slug,
    )
    .outerjoin(_renewal, _renewal.renews_id == Certificate.id)
    .where(Certificate.code == bindparam("code"))
    .limit(1)
)  # fmt: skip


def verification(engine, typed: str) -> Shown | None:
    """The certificate of a typed code as the verification page shows it, with the one that
    renewed it: one prepared statement outside any transaction (a read on the public page
    scripts may ask most often). ``status`` applies to it as to a ``Certificate``."""
    code = codes.normalise(typed)
    if code is None:
        return None
    rows = _VERIFICATION.read_typed(engine, {"code": code})
    if not rows:
        return None
    row = list(rows[0])
    row[9] = tuple(row[9] or ())
    return Shown(*row)


def by_code(session: Session, typed: str) -> Certificate | None:
    code = codes.normalise(typed)
    if code is None:
        return None
    return session.scalar(select(Certificate).where(Certificate.code == code))


def of_learner(session: Session, user_id: int) -> list[Certificate]:
    """All the learner's certificates, earlier generations included, oldest first."""
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user_id)
            .order_by(Certificate.issued_at, Certificate.generation)
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
