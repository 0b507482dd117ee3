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
