"""The audit log: who did what, when. Services call ``record`` in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lms.models.cohorts import AuditEvent


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    target: str,
    *,
    now: datetime,
    **details: Any,
) -> None:
    session.add(
        AuditEvent(at=now, actor_id=actor_id, action=action, target=target, details=details)
    )


def newest_first() -> Select:
    """Every event, the latest first: a query to page."""
    return select(AuditEvent).order_by(AuditEvent.id.desc())
