"""Quiz attempts: the order a learner saw, what they answered, and the grade, once."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base, UTCDateTime


class QuizAttempt(Base):
    """One attempt at a module's quiz. Open while ``submitted_at`` is empty; graded exactly once.

    ``question_ids`` keeps the questions in the order shown (shuffled with ``seed``).
    ``choice_secret`` names the options on the attempt's page (random ids, and their order, so a
    reload shows the same page); it never leaves the server: with it, the page's ids would tell the
    file order of the choices, and so the answer key. ``responses`` holds saved answers while open
    and the submitted answers after, in the choices' file-order keys; ``marks`` each question's
    score (0 to 1) once graded.
    """

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        UniqueConstraint("user_id", "course_slug", "module_slug", "number"),
        Index(
            "uq_quiz_attempt_one_open",
            "user_id",
            "course_slug",
            "module_slug",
            unique=True,
            sqlite_where=text("submitted_at IS NULL"),
            postgresql_where=text("submitted_at IS NULL"),
        ),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_slug: Mapped[str] = mapped_column(String(80))
    module_slug: Mapped[str] = mapped_column(String(80))
    number: Mapped[int]  #: 1 for the learner's first attempt at this quiz, then 2, ...
    seed: Mapped[int]
    choice_secret: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(32))
    question_ids: Mapped[list[str]] = mapped_column(JSON)
    pass_mark: Mapped[int]  #: as it was when the attempt started
    content_version: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responses: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    marks: Mapped[dict[str, float] | None] = mapped_column(JSON)
    score: Mapped[int | None]
    passed: Mapped[bool | None]

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None


class QuizGrant(Base):
    """One attempt more than a quiz allows, granted to a learner by an instructor or administrator.

    ``after_attempts`` is how many attempts the learner had used when it was granted: unique, so
    two grants at the same moment make one.
    """

    __tablename__ = "quiz_grant"
    __table_args__ = (UniqueConstraint("user_id", "course_slug", "module_slug", "after_attempts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_slug: Mapped[str] = mapped_column(String(80))
    module_slug: Mapped[str] = mapped_column(String(80))
    after_attempts: Mapped[int]
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuizRequest(Base):
    """A save or submit of an attempt that was carried out, by the idempotency key its page sent.

    The quiz page carries a random key (a hidden field; the page's script makes one per save it
    queues). A request whose (attempt, action, key) is here already was carried out before: it is a
    replay (a phone resending what it queued offline, a double tap) and changes nothing; the answer
    is the first one's (``quizzes.save``, ``quizzes.submit``). The unique constraint decides between
    two copies arriving at the same moment. Deleted with the attempt.
    """

    __tablename__ = "quiz_request"
    __table_args__ = (
        UniqueConstraint("attempt_id", "action", "key"),
        CheckConstraint("action IN ('save', 'submit')", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
