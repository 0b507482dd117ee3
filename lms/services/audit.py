"""The audit log: who did what, when. Services call ``record`` in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lms.models.cohorts import AuditEvent

#: what the audit log page calls each action (the stored action stays the English key: it is data)
ACTION_LABELS = {
    "account erased": _l("account erased"),
    "deactivated": _l("deactivated"),
    "reactivated": _l("reactivated"),
    "role changed": _l("role changed"),
    "hours adjusted": _l("hours adjusted"),
    "invitation accepted": _l("invitation accepted"),
    "invitation declined": _l("invitation declined"),
    "invitation withdrawn": _l("invitation withdrawn"),
    "marked": _l("marked on a register"),
    "mark changed": _l("register mark changed"),
    "password set from a link": _l("password set from a link"),
    "quiz attempt granted": _l("quiz attempt granted"),
    "reset link issued": _l("one-time link issued"),
    "certificate issued": _l("certificate issued"),
    "certificate revoked": _l("certificate revoked"),
    "certificate restored": _l("certificate restored"),
    "certificate renewed": _l("certificate renewed"),
    "certificate reminded": _l("expiry reminder sent"),
    "signing key created": _l("signing key created"),
    "signing key rotated": _l("signing key rotated"),
}
#: what the page calls each detail (the values are data, shown as stored)
DETAIL_LABELS = {
    "old": _l("before"),
    "new": _l("after"),
    "course": _l("course"),
    "module": _l("module"),
    "minutes": _l("minutes"),
    "reason": _l("reason"),
    "learner": _l("learner"),
    "status": _l("status"),
    "email": _l("e-mail"),
    "days": _l("days"),
    "via": _l("via"),
    "serial": _l("serial"),
    "keys": _l("keys"),
    "after_attempts": _l("after attempts"),
    "certificates_revoked": _l("certificates revoked"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def detail_label(key: str) -> str:
    return str(DETAIL_LABELS.get(key, key))


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
