"""Background jobs: what was started, by whom, how far it got and what came of it.

The row is the job's whole record: the queue (RQ, when Redis is configured) only carries the row's
id, so a result, a failure or a prepared file survives a worker restart and every host can show it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from lms.models.base import Base, UTCDateTime

JOB_STATES = ("queued", "running", "done", "failed")


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
        CheckConstraint("done >= 0", name="done"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    #: at most one waiting or running job per key: a roster upload is imported by one job, however
    #: often Confirm is sent; a job gives its key up when it finishes or fails
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    started_by: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    done: Mapped[int] = mapped_column(default=0)  #: items finished (learners, rows)
    total: Mapped[int | None] = mapped_column()  #: items in all, when known
    #: counts and messages for the page, and where a resumed run goes on from (``after``)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)  #: shown to the person who started it
    file_name: Mapped[str | None] = mapped_column(String(120))
    file_type: Mapped[str | None] = mapped_column(String(80))
    #: a prepared download (an export); loaded only when it is downloaded
    file_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    runs: Mapped[int] = mapped_column(default=0)  #: how often a worker started it (retries)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
