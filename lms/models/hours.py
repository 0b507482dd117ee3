"""Attendance hours: online reading time, workshop marks, and instructor adjustments.

Online time is kept per learner, lesson and day (``LessonCredit``), so the table stays small however
long people read. ``LearnerClock`` is the learner's single clock, shared by every open tab; and
``HeartbeatTab`` remembers the last sequence number each tab sent, so a repeated heartbeat earns
nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base, UTCDateTime

MARK_STATUSES = ("present", "late", "absent", "excused")


class LearnerClock(Base):
    __tablename__ = "learner_clock"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    #: milliseconds since the epoch (UTC) up to which the learner's time is accounted: the first
    #: heartbeat's instant plus every whole second credited or passed over since (less than a
    #: second behind the latest heartbeat); NULL before the first
    last_at: Mapped[int | None] = mapped_column(BigInteger)
    #: the seconds the last heartbeat earned (set and read back in the same UPDATE)
    last_credit: Mapped[int] = mapped_column(Integer, default=0)


class HeartbeatTab(Base):
    __tablename__ = "heartbeat_tab"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    tab: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    #: epoch milliseconds of the tab's last heartbeat; ``lms prune`` forgets tabs silent for a day
    seen_at: Mapped[int] = mapped_column(BigInteger)


class LessonCredit(Base):
    __tablename__ = "lesson_credit"
    __table_args__ = (
        UniqueConstraint("user_id", "lesson_key", "day"),
        CheckConstraint("seconds >= 0", name="seconds"),
        # a cohort's hours summed per learner and module from the index alone (the progress
        # matrix: ``ledger.progress_of_learners``, ``ledger.hours_for_learners``)
        Index(
            "ix_lesson_credit_learner_module", "user_id", "course_slug", "module_slug", "seconds"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    course_slug: Mapped[str] = mapped_column(String(80))
    module_slug: Mapped[str] = mapped_column(String(80))
    lesson_key: Mapped[str] = mapped_column(String(250))  #: course/module/lesson
    day: Mapped[date] = mapped_column(Date)  #: UTC day
    seconds: Mapped[int] = mapped_column(Integer)


class WorkshopSession(Base):
    """An in-person session for one module of a course."""

    __tablename__ = "workshop_session"
    __table_args__ = (CheckConstraint("minutes > 0 AND minutes <= 600", name="minutes"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_slug: Mapped[str] = mapped_column(String(80))
    module_slug: Mapped[str] = mapped_column(String(80))
    held_on: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time] = mapped_column(Time)
    minutes: Mapped[int]
    place: Mapped[str] = mapped_column(String(160))
    facilitator: Mapped[str] = mapped_column(String(120))
    #: the cohort the session was held for, if any (its instructors share the register)
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohort.id", ondelete="SET NULL"), index=True
    )
    created_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WorkshopMark(Base):
    __tablename__ = "workshop_mark"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in MARK_STATUSES)})", name="status"),
        CheckConstraint("minutes_attended >= 0", name="minutes_attended"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    #: what the mark earns, fixed when marked: the session's minutes if present, the minutes
    #: attended if late, 0 if absent or excused
    minutes_attended: Mapped[int]
    remark: Mapped[str] = mapped_column(Text, default="")
    marked_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MarkChange(Base):
    """Who changed a workshop mark, when, from what to what."""

    __tablename__ = "mark_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    mark_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_mark.id", ondelete="CASCADE"), index=True
    )
    changed_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    old_status: Mapped[str] = mapped_column(String(10))
    old_minutes: Mapped[int]
    old_remark: Mapped[str] = mapped_column(Text, default="")
    new_status: Mapped[str] = mapped_column(String(10))
    new_minutes: Mapped[int]
    new_remark: Mapped[str] = mapped_column(Text, default="")


class HoursAdjustment(Base):
    """Minutes an instructor credits (positive) or removes (negative) on a module, with a reason."""

    __tablename__ = "hours_adjustment"
    __table_args__ = (CheckConstraint("minutes <> 0", name="minutes_not_zero"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_slug: Mapped[str] = mapped_column(String(80))
    module_slug: Mapped[str] = mapped_column(String(80))
    minutes: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
