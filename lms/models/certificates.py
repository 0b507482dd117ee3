"""Completion certificates: an issued snapshot that later changes to people or courses never alter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base, UTCDateTime


class Certificate(Base):
    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("user_id", "course_slug"),)

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

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def hours(self) -> float:
        return self.minutes / 60


class SerialCounter(Base):
    """The last serial number given per course code and year (allocated with one atomic UPDATE)."""

    __tablename__ = "serial_counter"

    course_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
