"""People: accounts with a role, the registration fields, and password handling."""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base, UTCDateTime, utcnow

#: a programme manager sees the programme's figures (``lms.services.figures``), nothing personal
ROLES = ("learner", "instructor", "programme_manager", "admin")

#: (value stored, label shown). The fixed list from the registration form.
ORGANISATION_TYPES = (
    ("government", "Government child protection"),
    ("social-welfare", "Social welfare"),
    ("police", "Police"),
    ("ngo", "NGO or community organisation"),
    ("residential-care", "Orphanage or residential care"),
    ("education", "Education"),
    ("health", "Health"),
    ("other", "Other"),
)
PROVINCES = (
    "Punjab",
    "Sindh",
    "Khyber Pakhtunkhwa",
    "Balochistan",
    "Islamabad Capital Territory",
    "Gilgit-Baltistan",
    "Azad Jammu and Kashmir",
)
#: the optional questions for the programme's figures (labels: ``lms.web.demographics``); NULL in a
#: column means the person did not answer
SEXES = ("female", "male", "another", "unstated")
AGE_BANDS = ("under-25", "25-34", "35-44", "45-54", "55-plus")
WORK_ROLES = (
    "child-protection-officer",
    "social-worker",
    "police",
    "teacher",
    "residential-care",
    "ngo-worker",
    "other",
)
PASSWORD_MIN = 10
PASSWORD_MAX = 128

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class User(Base):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(f"role IN ({_in(ROLES)})", name="role"),
        CheckConstraint(
            f"organisation_type IN ({_in(v for v, _ in ORGANISATION_TYPES)})", name="org_type"
        ),
        CheckConstraint(f"sex IN ({_in(SEXES)})", name="sex"),
        CheckConstraint(f"age_band IN ({_in(AGE_BANDS)})", name="age_band"),
        CheckConstraint(f"work_role IN ({_in(WORK_ROLES)})", name="work_role"),
        CheckConstraint(f"scope_province IN ({_in(PROVINCES)})", name="scope_province"),
        Index("ix_user_province_district", "province", "district"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: lower-cased on the way in; unique
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32), default="learner")
    organisation_type: Mapped[str] = mapped_column(String(32))
    organisation: Mapped[str] = mapped_column(String(160), default="")
    job_title: Mapped[str] = mapped_column(String(120), default="")
    province: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(80), default="")
    #: a deactivated account cannot log in; its records and certificates stay
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: set for accounts made by an instructor: the learner chooses a password at first login
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    #: SHA-256 of a one-time set-up link's token (accounts created from a roster); None when used
    setup_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: bumped on password change and deactivation; the session cookie carries it, so old
    #: sessions stop working
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: set when an administrator erased the person on request (lms.services.erasure)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the interface language the person chose (``lms.i18n.LOCALES``); None: not chosen yet
    locale: Mapped[str | None] = mapped_column(String(8))
    # --- optional, for the programme's figures only (``lms.services.figures``) ---
    sex: Mapped[str | None] = mapped_column(String(16))  #: one of SEXES
    age_band: Mapped[str | None] = mapped_column(String(16))  #: one of AGE_BANDS
    work_role: Mapped[str | None] = mapped_column(String(32))  #: one of WORK_ROLES
    #: when the person was asked those questions (answered or declined): they are asked once
    demographics_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a programme manager limited to one province or one organisation (by name); None: all
    scope_province: Mapped[str | None] = mapped_column(String(64))
    scope_organisation: Mapped[str | None] = mapped_column(String(160))

    @property
    def has_password(self) -> bool:
        """False for an account made from a roster whose owner has not chosen a password yet."""
        return self.password_hash.startswith("$argon2")

    def set_password(self, password: str) -> None:
        if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
            raise ValueError(f"a password has {PASSWORD_MIN} to {PASSWORD_MAX} characters")
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        """Verify, and upgrade the stored hash when the library's parameters have moved on."""
        if not password or len(password) > PASSWORD_MAX:
            return False
        if not self.password_hash.startswith("$argon2"):
            # no password yet (a roster account) or a disabled one: refuse after the same work
            burn_password_check(password)
            return False
        try:
            _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if _hasher.check_needs_rehash(self.password_hash):
            self.password_hash = _hasher.hash(password)
        return True

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def burn_password_check(password: str) -> None:
    """Spend the time of a real check, so an unknown e-mail answers as slowly as a wrong password."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), password[:PASSWORD_MAX] or "x")
