"""Getting back into an account: one-time links and e-mailed reset links.

**One-time links** are the one mechanism for a person who has no working password: the welcome
link of an account created from a roster, and the reset link an instructor (for learners of their
cohorts) or an administrator issues, or the CLI prints. The token is a verification-style code
(75 random bits in Crockford base32 with a check character, ``7KQM-2D9X-H4TR-PV3A``), so it can be
read out by phone or printed and typed; only its SHA-256 is stored, on the account
(``setup_token_hash``, ``setup_expires_at``). Issuing a new one replaces the old one.

**E-mailed reset links** (when the site has a mail server) are signed, not stored: the signature
covers the account and a fingerprint of its current password hash, and the link is refused after an
hour. Setting a password changes the hash, so a link works once; the change itself is a conditional
``UPDATE`` (on the token hash, or on the password hash), so two uses at the same moment cannot both
succeed. Both kinds end every session of the account (the session version moves on).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lms.certificates import codes
from lms.models.users import User, hash_password
from lms.services import ServiceError, accounts, audit

#: a reset link issued by a person is passed on by hand or by phone: valid for days, not hours
ISSUED_LINK_DAYS = 7
EMAIL_LINK_SECONDS = 60 * 60
_RESET_SALT = "lms-password-reset"
LINK_USED = _l(
    "This link has just been used. Log in with your new password, or ask for a new link."
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _hashes(token: str) -> list[str]:
    """The stored hashes ``token`` may match: as typed (older roster links) and as a code."""
    found = [token_hash(token)]
    code = codes.normalise(token)
    if code is not None and code != token:
        found.append(token_hash(code))
    return found


def new_link_fields(*, now: datetime, days: int) -> tuple[str, dict]:
    """A fresh one-time code and the account columns that hold it (for bulk inserts)."""
    code = codes.new_code()
    return code, {
        "setup_token_hash": token_hash(code),
        "setup_expires_at": now + timedelta(days=days),
    }


def issue_link(
    session: Session,
    user: User,
    *,
    by: int | None,
    now: datetime,
    days: int = ISSUED_LINK_DAYS,
    via: str = "web",
) -> str:
    """Replace the account's one-time link with a new one; return its code (shown once). Audited.

    Neither shows nor changes the password: the person chooses one through the link.
    """
    if not user.active:
        raise ServiceError(_("This account is deactivated. Reactivate it first."))
    code, fields = new_link_fields(now=now, days=days)
    user.setup_token_hash = fields["setup_token_hash"]
    user.setup_expires_at = fields["setup_expires_at"]
    audit.record(
        session, by, "reset link issued", f"user:{user.id}", now=now, days=days, via=via,
        email=user.email,
    )  # fmt: skip
    session.flush()
    return code


def account_for_link(session: Session, token: str, *, now: datetime) -> User | None:
    """The active account whose unexpired one-time link this is, else ``None``."""
    if not token or len(token) > 100:
        return None
    user = session.scalar(select(User).where(User.setup_token_hash.in_(_hashes(token))))
    if (
        user is None
        or user.setup_expires_at is None
        or user.setup_expires_at < now
        or not user.active
    ):
        return None
    return user


def _set_password(session: Session, user: User, condition, password: str, *, now: datetime):
    """Set the password only if ``condition`` still holds for the row; one winner if raced."""
    accounts.check_password_rules(password)
    result = session.execute(
        update(User)
        .where(User.id == user.id, condition)
        .values(
            password_hash=hash_password(password),
            setup_token_hash=None,
            setup_expires_at=None,
            must_change_password=False,
            session_version=User.session_version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ServiceError(str(LINK_USED))
    session.expire(user)
    audit.record(session, user.id, "password set from a link", f"user:{user.id}", now=now)
    session.flush()


def use_link(session: Session, user: User, password: str, *, now: datetime) -> None:
    """Set the password through the one-time link found by ``account_for_link``; it is then used."""
    current = user.setup_token_hash
    if current is None:
        raise ServiceError(str(LINK_USED))
    _set_password(session, user, User.setup_token_hash == current, password, now=now)


# --- e-mailed reset links ------------------------------------------------------------------------
def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:24]


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_RESET_SALT)


def account_for_reset(session: Session, email: str) -> User | None:
    """The active account an e-mailed reset link may be sent for, else ``None``."""
    user = accounts.find_by_email(session, email)
    return user if user is not None and user.active else None


def email_reset_token(secret_key: str, user: User) -> str:
    return _serializer(secret_key).dumps({"u": user.id, "p": _fingerprint(user.password_hash)})


def account_for_reset_token(
    session: Session, secret_key: str, token: str, *, now: datetime
) -> User | None:
    """The account an e-mailed reset link is for, if it is genuine, under an hour old and unused."""
    if not token or len(token) > 300:
        return None
    try:
        data, signed_at = _serializer(secret_key).loads(token, return_timestamp=True)
    except BadData:
        return None
    if signed_at.tzinfo is None:
        signed_at = signed_at.replace(tzinfo=UTC)
    age = (now - signed_at).total_seconds()
    if not isinstance(data, dict) or not -60 <= age <= EMAIL_LINK_SECONDS:
        return None
    user = session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or not user.active or _fingerprint(user.password_hash) != data.get("p"):
        return None
    return user


def use_reset_token(session: Session, user: User, password: str, *, now: datetime) -> None:
    """Set the password through an e-mailed link found by ``account_for_reset_token``."""
    _set_password(session, user, User.password_hash == user.password_hash, password, now=now)
