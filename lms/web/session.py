"""Who is asking: a small, read-only principal loaded with one plain query per request.

The same query brings the courses the person is enrolled in, so the lesson page (the busiest page)
decides access without a second query.

Pages that change an account load the full ``User`` row themselves; everything else reads this.
The session cookie stores ``"<id>.<session_version>"``: changing a password or deactivating an account
bumps the version, which ends every other session of that account.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import bindparam, select

from lms import database
from lms.extensions import db, login_manager
from lms.models.enrolment import Enrolment
from lms.models.users import User


@dataclass(frozen=True)
class Principal:
    id: int
    email: str
    full_name: str
    role: str
    must_change_password: bool
    session_version: int
    enrolled: frozenset[str] = frozenset()  #: course slugs, as of the start of the request

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        """Instructors and administrators: they read every course without enrolling."""
        return self.role in ("instructor", "admin")


_COLUMNS = (
    User.id,
    User.email,
    User.full_name,
    User.role,
    User.must_change_password,
    User.session_version,
    User.active,
    Enrolment.course_slug,
)
_QUERY = (
    select(*_COLUMNS)
    .outerjoin(Enrolment, Enrolment.user_id == User.id)
    .where(User.id == bindparam("user_id"))
)


def principal_for(user: User) -> Principal:
    return Principal(
        user.id,
        user.email,
        user.full_name,
        user.role,
        user.must_change_password,
        user.session_version,
        frozenset(),  # only used to start a session; the next request loads the enrolments
    )


def load_principal(session_id: str) -> Principal | None:
    user_id, _, version = session_id.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    # A connection of its own, read-only and returned at once: a page that only reads (the lesson
    # page) then never opens an ORM transaction at all.
    with database.single_read(db.engine) as conn:
        rows = conn.execute(_QUERY, {"user_id": int(user_id)}).all()
    if not rows or not rows[0].active or rows[0].session_version != int(version):
        return None
    enrolled = frozenset(row.course_slug for row in rows if row.course_slug is not None)
    return Principal(*rows[0][:6], enrolled)


def init_session(app: Flask) -> None:
    login_manager.user_loader(load_principal)
    # Sessions end through session_version (password change, deactivation); nothing here uses
    # Flask-Login's "fresh" logins, so its per-request identifier hash would buy nothing.
    login_manager.session_protection = None
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
