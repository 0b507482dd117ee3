"""Expiry reminders by e-mail: one message per learner per reminder date, never twice.

A certificate that expires is reminded ``REMINDER_DAYS`` before its expiry date (60, 30 and 7 days,
and on the day). The sender runs from a scheduled command (``flask --app lms lms send-reminders``)
as often as one likes: each run sends, for each learner, one message naming every certificate whose
next reminder date has come, and records each (certificate, reminder date) in ``expiry_reminder``,
whose unique constraint keeps two runs from sending the same reminder. A run that missed dates sends
only the latest one due (a learner gets no pile of stale reminders). Only current certificates,
neither revoked nor renewed, of active accounts are reminded. The reminder also stands on the
learner's dashboard (``renewal.refreshers_for``) whether or not mail is configured.

How a message is written and sent is not decided here: ``send_reminders`` takes a ``send`` callable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from lms.models.certificates import Certificate, ExpiryReminder
from lms.models.users import User
from lms.services import certificates, renewal

#: days before expiry; the first is when the refresher opens
REMINDER_DAYS = (renewal.REFRESHER_DAYS, 30, 7, 0)


@dataclass(frozen=True)
class Reminder:
    certificate: Certificate
    days_before: int
    due_on: date


def _due_stage(expires_at: datetime, now: datetime) -> int | None:
    """The latest reminder date that has come for a certificate expiring at ``expires_at``."""
    reached = [d for d in REMINDER_DAYS if now >= expires_at - timedelta(days=d)]
    return min(reached) if reached else None


def due(session: Session, *, now: datetime) -> list[tuple[User, list[Reminder]]]:
    """Every learner with a reminder due now, and their reminders (by certificate serial)."""
    later = aliased(Certificate)
    newer = aliased(Certificate)
    rows = session.execute(
        select(Certificate, User)
        .join(User, User.id == Certificate.user_id)
        .where(
            Certificate.expires_at.is_not(None),
            Certificate.expires_at <= now + timedelta(days=REMINDER_DAYS[0]),
            Certificate.revoked_at.is_(None),
            User.active.is_(True),
            User.erased_at.is_(None),
            ~select(later.id).where(later.renews_id == Certificate.id).exists(),
            ~select(newer.id)
            .where(
                newer.user_id == Certificate.user_id,
                newer.course_slug == Certificate.course_slug,
                newer.generation > Certificate.generation,
            )
            .exists(),
        )
        .order_by(User.id, Certificate.serial)
    ).all()
    ids = [c.id for c, _ in rows]
    sent: dict[int, int] = {}
    if ids:
        sent = dict(
            session.execute(
                select(ExpiryReminder.certificate_id, func.min(ExpiryReminder.days_before))
                .where(ExpiryReminder.certificate_id.in_(ids))
                .group_by(ExpiryReminder.certificate_id)
            ).all()
        )
    by_user: dict[int, tuple[User, list[Reminder]]] = {}
    for certificate, user in rows:
        stage = _due_stage(certificate.expires_at, now)
        if stage is None or (certificate.id in sent and sent[certificate.id] <= stage):
            continue  # this reminder, or a later one, was sent already
        due_on = (certificate.expires_at - timedelta(days=stage)).date()
        by_user.setdefault(user.id, (user, []))[1].append(Reminder(certificate, stage, due_on))
    return list(by_user.values())


@dataclass(frozen=True)
class Outcome:
    sent: int  #: messages sent
    failed: int  #: messages the send callable refused (tried again at the next run)


def send_reminders(
    session: Session, *, now: datetime, send: Callable[[User, list[Reminder]], None]
) -> Outcome:
    """Send every reminder due, one message per learner; commits after each message.

    The reminders are recorded (and the unique constraint taken) before ``send`` is called, and
    committed after it returns: if ``send`` raises, nothing is recorded and the next run tries
    again; if another run recorded them first, this one sends nothing for that learner.
    """
    sent = failed = 0
    for user, reminders in due(session, now=now):
        try:
            with session.begin_nested():
                for r in reminders:
                    session.add(
                        ExpiryReminder(certificate_id=r.certificate.id, user_id=user.id,
                                       days_before=r.days_before, due_on=r.due_on, sent_at=now)
                    )  # fmt: skip
                    session.flush()
                    certificates.record_event(
                        session, r.certificate, "reminded", now=now, by=None,
                        reason=f"Expiry reminder e-mailed ({r.days_before} days before expiry)",
                    )  # fmt: skip
                session.flush()
        except IntegrityError:  # another run is sending these right now
            session.rollback()
            continue
        try:
            send(user, reminders)
        except Exception:  # noqa: BLE001 - any failure of the mail server: retried next run
            session.rollback()
            failed += 1
            continue
        session.commit()
        sent += 1
    return Outcome(sent, failed)
