"""What the programme's figures need beyond hours, quizzes and certificates: the knowledge test a
learner takes before the first lesson and again after the last module, and the course evaluation.

Neither counts toward a certificate. An evaluation keeps its author's id only so that each learner
gives one per course and the figures can be filtered like every other; no report, page or export
names who wrote it (``lms.services.figures``).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base, UTCDateTime

TEST_KINDS = ("pre", "post")


class KnowledgeTest(Base):
    """A learner's pre-test or post-test of a course: started once, graded once, never retaken.

    The same questions as the course's ``knowledge_test`` quiz, in an order of the attempt's own
    (``seed``); ``choice_secret`` names the options on its page as a quiz attempt's does
    (``lms.services.quizzes``).
    """

    __tablename__ = "knowledge_test"
    __table_args__ = (
        UniqueConstraint("user_id", "course_slug", "kind"),
        CheckConstraint("kind IN ('pre', 'post')", name="kind"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    course_slug: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(4))  #: "pre" or "post"
    seed: Mapped[int]
    choice_secret: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(32))
    question_ids: Mapped[list[str]] = mapped_column(JSON)
    content_version: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responses: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[int | None]  #: percent, once submitted

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None


class CourseEvaluation(Base):
    """A learner's evaluation of a course, one per learner and course: ratings 1 to 5 and text."""

    __tablename__ = "course_evaluation"
    __table_args__ = (
        UniqueConstraint("user_id", "course_slug"),
        *(
            CheckConstraint(f"{name} >= 1 AND {name} <= 5", name=name)
            for name in ("satisfaction", "usefulness", "confidence_before", "confidence_after")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    course_slug: Mapped[str] = mapped_column(String(80))
    satisfaction: Mapped[int]  #: overall, 1 (very poor) to 5 (very good)
    usefulness: Mapped[int]  #: for the person's work, 1 to 5
    confidence_before: Mapped[int]  #: in the subject before the course, 1 to 5
    confidence_after: Mapped[int]  #: and after it
    improve: Mapped[str] = mapped_column(Text, default="")  #: what to improve
    comments: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
