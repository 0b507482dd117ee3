"""Callable factories for test data. Each commits, so the rows are visible to the app and threads."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from functools import cache

from lms.extensions import db
from lms.models.users import User, _hasher

PASSWORD = "correct horse battery"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_counter = itertools.count(1)


@cache
def _password_hash() -> str:
    return _hasher.hash(PASSWORD)  # hashed once: argon2 is slow on purpose


def make_user(
    *,
    role: str = "learner",
    email: str | None = None,
    full_name: str | None = None,
    active: bool = True,
    organisation_type: str = "ngo",
    province: str = "Punjab",
    must_change_password: bool = False,
    **fields,
) -> User:
    n = next(_counter)
    user = User(
        email=(email or f"user{n}@example.org").lower(),
        full_name=full_name or f"Test Person {n}",
        password_hash=_password_hash(),
        role=role,
        organisation_type=organisation_type,
        organisation=fields.pop("organisation", "Test Organisation"),
        job_title=fields.pop("job_title", "Social worker"),
        province=province,
        district=fields.pop("district", "Lahore"),
        active=active,
        must_change_password=must_change_password,
        created_at=NOW,
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def enrol(user: User, course_slug: str = "demo") -> None:
    from lms.models.enrolment import Enrolment

    db.session.add(Enrolment(user_id=user.id, course_slug=course_slug, enrolled_at=NOW))
    db.session.commit()


def make_certificate(user: User, course_slug: str = "demo", **fields):
    """A certificate row as the issuing service would write it (without checking eligibility)."""
    import secrets as _secrets

    from lms.certificates import codes
    from lms.models.certificates import Certificate
    from lms.services.certificates import next_status_index, recipient_hash

    n = next(_counter)
    salt = _secrets.token_hex(16)
    certificate = Certificate(
        user_id=user.id,
        course_slug=course_slug,
        serial=fields.pop("serial", f"DEMO-2026-{n:06d}"),
        code=fields.pop("code", codes.new_code()),
        name=user.full_name,
        course_title="Demo Course",
        certificate_title="Demo Certificate of Completion",
        minutes=30,
        modules=["Module 1: Basics", "Module 2: Practice"],
        issued_at=NOW,
        issuer_name="Children's Champions Programme",
        signatory_name="Programme Director",
        signatory_title="Children's Champions Programme",
        content_version="test",
        recipient_salt=salt,
        recipient_hash=recipient_hash(user.email, salt),
        status_index=fields.pop("status_index", None) or next_status_index(db.session),
        **fields,
    )
    db.session.add(certificate)
    db.session.commit()
    return certificate


def make_cohort(instructor: User, members=(), course_slug: str = "demo", **fields):
    """A cohort taught by ``instructor`` with ``members`` enrolled and added."""
    from datetime import date

    from lms.models.cohorts import Cohort, CohortInstructor, CohortMember
    from lms.models.enrolment import Enrolment

    n = next(_counter)
    cohort = Cohort(
        name=fields.pop("name", f"Cohort {n}"),
        course_slug=course_slug,
        starts_on=fields.pop("starts_on", date(2026, 3, 1)),
        ends_on=fields.pop("ends_on", date(2026, 6, 30)),
        join_code=fields.pop("join_code", f"J{n:07d}"),
        created_by=instructor.id,
        created_at=NOW,
        **fields,
    )
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortInstructor(cohort_id=cohort.id, user_id=instructor.id))
    for member in members:
        if (
            not db.session.query(Enrolment)
            .filter_by(user_id=member.id, course_slug=course_slug)
            .count()
        ):
            db.session.add(Enrolment(user_id=member.id, course_slug=course_slug, enrolled_at=NOW))
        db.session.add(
            CohortMember(
                cohort_id=cohort.id, user_id=member.id, added_at=NOW, added_by=instructor.id
            )
        )
    db.session.commit()
    return cohort


def make_user_row(email: str = "early@example.org") -> int:
    """A learner inserted with only the columns of the first migration, for tests that stop the
    schema at an older revision (the ORM would name every column the model has now); its id."""
    from sqlalchemy import text

    row = db.session.execute(
        text(
            'INSERT INTO "user" (email, full_name, password_hash, role, organisation_type,'
            " organisation, job_title, province, district, active, must_change_password,"
            " session_version, created_at) VALUES (:email, 'Early Learner', :hash, 'learner', 'ngo',"
            " 'Test Organisation', 'Social worker', 'Punjab', 'Lahore', :yes, :no, 1, :now)"
            " RETURNING id"
        ),
        {"email": email, "hash": _password_hash(), "yes": True, "no": False, "now": NOW},
    )
    user_id = row.scalar_one()
    db.session.commit()
    return user_id
