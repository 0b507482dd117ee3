"""Who is asking: a small, read-only principal loaded with one plain query per request.

Pages that change an account load the full ``User`` row themselves; everything else reads this.
The session cookie stores ``"<id>.<session_version>"``: changing a password or deactivating an account
bumps the version, which ends every other session of that account.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from lms.extensions import db, login_manager
from lms.models.users import User


@dataclass(frozen=True)
class Principal:
    id: int
    email: str
    full_name: str
    role: str
    must_change_password: bool
    session_version: int

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
    User.id, User.email, User.full_name, User.role, User.must_change_password,
    User.session_version, User.active,
)


def principal_for(user: User) -> Principal:
    return Principal(
        user.id, user.email, user.full_name, user.role, user.must_change_password,
        user.session_version,
    )


def load_principal(session_id: str) -> Principal | None:
    user_id, _, version = session_id.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    row = db.session.execute(select(*_COLUMNS).where(User.id == int(user_id))).first()
    if row is None or not row.active or row.session_version != int(version):
        return None
    return Principal(*row[:-1])


def init_session(app: Flask) -> None:
    login_manager.user_loader(load_principal)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
