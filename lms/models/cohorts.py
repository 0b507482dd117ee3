"""Organisations, cohorts with their instructors and members, assignments, and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base, UTCDateTime


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    organisation_type: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Cohort(Base):
    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    course_slug: Mapped[str] = mapped_column(String(80))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CohortInstructor(Base):
    __tablename__ = "cohort_instructor"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CohortMember(Base):
    __tablename__ = "cohort_member"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  #: None: joined by code


class CohortInvitation(Base):
    """An instructor's invitation to one e-mail address to join a cohort.

    It names an e-mail, not an account: whether the address has an account is never part of it, so
    inviting tells the instructor nothing about the address. The person joins only by accepting it
    (logged in with that e-mail); until then they are no member of the cohort for any purpose
    (``lms.services.access``). Accepting deletes the invitation and adds the member; declining keeps
    it with ``declined_at`` so that the same cohort cannot invite the address again until an
    instructor removes it.
    """

    __tablename__ = "cohort_invitation"
    __table_args__ = (UniqueConstraint("cohort_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), index=True)  #: normalised (lower case)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when an e-mail told the address of it (``cohorts.claim_for_mail``); None: not (yet) told
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Assignment(Base):
    """Modules (or the whole course, ``module_slug`` NULL) a cohort must finish by a date."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("cohort_id", "module_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    module_slug: Mapped[str | None] = mapped_column(String(80))
    due_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RosterUpload(Base):
    """A CSV roster waiting for the instructor to confirm its preview (then deleted)."""

    __tablename__ = "roster_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Who did what, when: role changes, deactivations, marks, adjustments, issuing, revocation."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80))  #: e.g. "user:12", "certificate:7"
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
