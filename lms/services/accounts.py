"""Accounts: registration, authentication, profile and password changes, roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lms.models.users import (
    AGE_BANDS,
    ORGANISATION_TYPES,
    PASSWORD_MAX,
    PASSWORD_MIN,
    PROVINCES,
    ROLES,
    SEXES,
    WORK_ROLES,
    User,
    burn_password_check,
)
from lms.services import ServiceError, names, passwords

ORGANISATION_TYPE_VALUES = tuple(value for value, _label in ORGANISATION_TYPES)


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class Profile:
    """The registration fields, as typed by the person (validated by the form or the CSV reader)."""

    full_name: str
    email: str
    organisation_type: str
    organisation: str
    job_title: str
    province: str
    district: str
    #: optional, for the programme's figures; None: not answered (``set_demographics``)
    sex: str | None = None
    age_band: str | None = None
    work_role: str | None = None
    #: were the three questions asked (the registration and profile forms ask them)?
    asked: bool = False


DEMOGRAPHICS = {"sex": SEXES, "age_band": AGE_BANDS, "work_role": WORK_ROLES}


def check_demographics(answers: dict[str, str | None]) -> None:
    for name, allowed in DEMOGRAPHICS.items():
        if answers.get(name) is not None and answers[name] not in allowed:
            raise ServiceError("Choose an answer from the list, or leave it blank.", name)


def set_demographics(user: User, answers: dict[str, str | None], *, now: datetime) -> None:
    """Record the person's answers (None: not answered) and that they were asked: the dashboard
    asks once, and never again once answered or declined (``declined``: all None)."""
    check_demographics(answers)
    for name in DEMOGRAPHICS:
        setattr(user, name, answers.get(name))
    user.demographics_asked_at = user.demographics_asked_at or now


def needs_demographics(session: Session, user_id: int) -> bool:
    """Should the dashboard ask this person the optional questions (never asked yet)?"""
    return (
        session.scalar(
            select(User.id).where(User.id == user_id, User.demographics_asked_at.is_(None))
        )
        is not None
    )


def check_profile(profile: Profile) -> None:
    """Domain checks the database would otherwise refuse with an error nobody can read."""
    if not profile.full_name.strip():
        raise ServiceError(_("Enter your full name."), "full_name")
    names.check_printed_name(profile.full_name, "full_name")
    for field in ("organisation", "job_title", "district"):
        names.check_label(getattr(profile, field), field)
    if profile.organisation_type not in ORGANISATION_TYPE_VALUES:
        raise ServiceError(_("Choose an organisation type from the list."), "organisation_type")
    if profile.province not in PROVINCES:
        raise ServiceError(_("Choose a province or territory from the list."), "province")
    check_demographics(_answers(profile))


def _answers(profile: Profile) -> dict[str, str | None]:
    return {name: getattr(profile, name) for name in DEMOGRAPHICS}


def check_password_rules(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise ServiceError(_("Use at least %(min)d characters.", min=PASSWORD_MIN), "password")
    if len(password) > PASSWORD_MAX:
        raise ServiceError(_("Use at most %(max)d characters.", max=PASSWORD_MAX), "password")
    reason = passwords.weakness(password)
    if reason is not None:
        raise ServiceError(reason, "password")


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    session: Session,
    profile: Profile,
    password: str,
    *,
    now: datetime,
    role: str = "learner",
    must_change_password: bool = False,
) -> User:
    check_profile(profile)
    check_password_rules(password)
    if role not in ROLES:
        raise ServiceError(_("Unknown role: %(role)s.", role=role), "role")
    email = normalise_email(profile.email)
    if find_by_email(session, email) is not None:
        raise ServiceError(
            _("An account with this e-mail already exists. Log in instead."), "email"
        )
    user = User(
        email=email,
        full_name=" ".join(profile.full_name.split()),
        organisation_type=profile.organisation_type,
        organisation=profile.organisation.strip(),
        job_title=profile.job_title.strip(),
        province=profile.province,
        district=profile.district.strip(),
        role=role,
        must_change_password=must_change_password,
        created_at=now,
    )
    if profile.asked:
        set_demographics(user, _answers(profile), now=now)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class Registration:
    """What a registration did. ``user`` is ``None`` when the address already had an account:
    the page answers the same either way (the owner is told by e-mail when the site sends mail)."""

    email: str
    user: User | None


def register(session: Session, profile: Profile, password: str, *, now: datetime) -> Registration:
    """Self-registration. An address that already has an account gets no new account and no error,
    after the same checks and the same slow hash, so the answer does not tell who has an account."""
    check_profile(profile)
    check_password_rules(password)
    email = normalise_email(profile.email)
    if find_by_email(session, email) is not None:
        burn_password_check(password)
        return Registration(email, None)
    return Registration(email, create_user(session, profile, password, now=now))


def authenticate(session: Session, email: str, password: str, *, now: datetime) -> User | None:
    """The user if the e-mail and password match an active account; ``None`` otherwise.

    Unknown e-mail, wrong password and deactivated account all give ``None`` after the same work,
    so the caller shows one message and timing does not tell which it was.
    """
    user = find_by_email(session, email)
    if user is None:
        burn_password_check(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = now
    return user


def change_password(user: User, current: str | None, new: str) -> None:
    """Change the password; ``current`` is None only for a forced first-login change."""
    if current is not None and not user.check_password(current):
        raise ServiceError(_("Your current password is not right."), "current_password")
    check_password_rules(new)
    if current is not None and current == new:
        raise ServiceError(_("Choose a password different from the current one."), "password")
    user.set_password(new)
    user.must_change_password = False
    user.session_version += 1  # other devices' sessions end


def end_sessions(user: User) -> None:
    """End every session of the account (logging out, a new password, a reset)."""
    user.session_version += 1


def update_profile(user: User, profile: Profile, *, now: datetime | None = None) -> None:
    check_profile(profile)
    if profile.asked and now is not None:
        set_demographics(user, _answers(profile), now=now)
    user.full_name = " ".join(profile.full_name.split())
    user.organisation_type = profile.organisation_type
    user.organisation = profile.organisation.strip()
    user.job_title = profile.job_title.strip()
    user.province = profile.province
    user.district = profile.district.strip()


def set_locale(session: Session, user_id: int, locale: str) -> None:
    """Remember the interface language a person chose (``lms.i18n.LOCALES``)."""
    from lms import i18n

    if i18n.known(locale) is None:
        raise ServiceError(_("Unknown language: %(locale)s", locale=locale))
    session.execute(update(User).where(User.id == user_id).values(locale=locale))
