"""Administration of people and organisations: search, roles, deactivation (records stay)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from lms.models.cohorts import Organisation
from lms.models.users import ORGANISATION_TYPES, PROVINCES, ROLES, User
from lms.services import ServiceError, audit, names


def search(text: str) -> Select:
    """People whose name or e-mail contains ``text`` (everyone if empty), by name: a query to page."""
    query = select(User).order_by(User.full_name, User.id)
    text = (text or "").strip().lower()
    if text:
        like = f"%{text}%"
        query = query.where(or_(func.lower(User.full_name).like(like), User.email.like(like)))
    return query


def change_role(session: Session, user: User, role: str, *, by: int, now: datetime) -> None:
    if role not in ROLES:
        raise ServiceError(_("Unknown role."))
    if user.erased_at is not None:
        raise ServiceError(_("This account is erased."))
    if user.id == by and role != "admin":
        raise ServiceError(_("You cannot remove your own administrator role."))
    if user.role == role:
        return
    audit.record(session, by, "role changed", f"user:{user.id}", now=now, old=user.role, new=role)
    user.role = role
    session.flush()


def set_active(session: Session, user: User, active: bool, *, by: int, now: datetime) -> None:
    """A deactivated account cannot log in and its sessions end; its records and certificates stay."""
    if user.erased_at is not None:
        raise ServiceError(_("This account is erased."))
    if user.id == by and not active:
        raise ServiceError(_("You cannot deactivate your own account."))
    if user.active == active:
        return
    audit.record(
        session, by, "reactivated" if active else "deactivated", f"user:{user.id}", now=now
    )
    user.active = active
    user.session_version += 1
    session.flush()


def organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def add_organisation(session: Session, name: str, org_type: str, *, now: datetime) -> Organisation:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_("Give the organisation's name."), "name")
    names.check_label(name, "name")
    if org_type not in {v for v, _label in ORGANISATION_TYPES}:
        raise ServiceError(_("Choose a type."), "organisation_type")
    if session.scalar(select(Organisation).where(func.lower(Organisation.name) == name.lower())):
        raise ServiceError(_("An organisation with this name exists."), "name")
    organisation = Organisation(name=name[:160], organisation_type=org_type, created_at=now)
    session.add(organisation)
    session.flush()
    return organisation


def set_manager_scope(
    session: Session,
    user: User,
    province: str | None,
    organisation: str | None,
    *,
    by: int,
    now: datetime,
) -> None:
    """Limit a programme manager's figures to one province or one organisation (or neither: the
    whole programme). Audited."""
    if user.role != "programme_manager":
        raise ServiceError("Only a programme manager's figures can be limited.")
    if province is not None and organisation is not None:
        raise ServiceError("Choose a province or an organisation, not both.", "organisation")
    if province is not None and province not in PROVINCES:
        raise ServiceError("Choose a province or territory from the list.", "province")
    if organisation is not None:
        organisation = " ".join(organisation.split())[:160]
        names.check_label(organisation, "organisation")
    audit.record(
        session, by, "figures limited", f"user:{user.id}", now=now,
        province=province, organisation=organisation,
    )  # fmt: skip
    user.scope_province = province
    user.scope_organisation = organisation
    session.flush()
