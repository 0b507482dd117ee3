"""Completion certificates: an issued snapshot that later changes to people or courses never alter.

A learner may hold several certificates of one course: the first (generation 1) and each renewal
after refresher training (generation 2, 3 ...), each with its own serial, code and expiry. The
*current* one is the highest generation; earlier ones are kept and linked (``renews_id``).
``CertificateEvent`` is the certificate's history (issued, revoked, restored, renewed, reminded):
rows are only ever added, so restoring a certificate never erases who revoked it and why.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base, UTCDateTime


class Certificate(Base):
    __tablename__ = "certificate"
    __table_args__ = (
        UniqueConstraint("user_id", "course_slug", "generation"),
        CheckConstraint("generation >= 1", name="generation_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    course_slug: Mapped[str] = mapped_column(String(80))
    serial: Mapped[str] = mapped_column(String(40), unique=True)  #: CPSA-2026-000123
    code: Mapped[str] = mapped_column(String(16), unique=True)  #: normalised, no dashes
    # --- the snapshot, as printed ---
    name: Mapped[str] = mapped_column(String(120))
    course_title: Mapped[str] = mapped_column(String(200))
    certificate_title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(Integer)
    modules: Mapped[list[str]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issuer_name: Mapped[str] = mapped_column(String(200))
    signatory_name: Mapped[str] = mapped_column(String(120))
    signatory_title: Mapped[str] = mapped_column(String(200))
    content_version: Mapped[str] = mapped_column(String(40))
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  #: None: automatic
    #: for the Open Badges recipient hash (the e-mail itself is never published)
    recipient_salt: Mapped[str] = mapped_column(String(32))
    recipient_hash: Mapped[str] = mapped_column(String(80))
    # --- revocation keeps the same code and URL ---
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: its bit in the Open Badges 3.0 revocation status list (Bitstring Status List), given at issue
    status_index: Mapped[int] = mapped_column(Integer, unique=True)
    # --- validity and renewal ---
    #: None: never expires (the course had no validity period when it was issued)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: 1 for the first certificate of a learner and course, n + 1 for the renewal of generation n
    generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: the earlier certificate this one renews
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"), unique=True)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def hours(self) -> float:
        return self.minutes / 60


EVENT_KINDS = ("issued", "revoked", "restored", "renewed", "reminded")


class CertificateEvent(Base):
    """One thing that happened to a certificate: who (None: the platform), when, why. Never updated."""

    __tablename__ = "certificate_event"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('issued', 'revoked', 'restored', 'renewed', 'reminded')", name="kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificate.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)  #: why (revocation), or what (renewal)


class ExpiryReminder(Base):
    """An expiry reminder e-mailed to a certificate's holder: at most one per certificate and
    reminder date, whatever runs the sender how often."""

    __tablename__ = "expiry_reminder"
    __table_args__ = (UniqueConstraint("certificate_id", "days_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    days_before: Mapped[int] = mapped_column(Integer)  #: 60, 30, 7 or 0 days before expiry
    due_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SerialCounter(Base):
    """The last serial number given per course code and year (allocated with one atomic UPDATE)."""

    __tablename__ = "serial_counter"

    course_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
