"""Erasing a person on request: personal fields replaced, login impossible, figures unchanged.

What goes: the name, e-mail, job title and password; free-text remarks an instructor wrote about the
person, and what the person wrote in course evaluations; their lines in stored roster uploads and
in background jobs' results and prepared files (one-time links, progress exports); invitations to
their e-mail; pending set-up links.
What stays, because other people rely on it: the row itself (so every count, hour and attempt in a
report is unchanged), the fields that only place a person in a figure (organisation type,
organisation, province, district), and issued certificates with the name as printed, which an
employer may still verify. When the request is to withdraw the certificates too, they are revoked
with the reason given, through the one revocation rule. The erasure is audited; the audit row names
the account by id only."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from lms.models.certificates import Certificate
from lms.models.cohorts import CohortInvitation, RosterUpload
from lms.models.figures import CourseEvaluation
from lms.models.hours import WorkshopMark
from lms.models.jobs import Job
from lms.models.users import User
from lms.services import ServiceError, audit
from lms.services import certificates as certificate_service

ERASED_NAME = "Erased account"
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never a real mailbox


def erased_email(user_id: int) -> str:
    return f"erased-{user_id}@{ERASED_DOMAIN}"


def erase(
    session: Session,
    user: User,
    *,
    reason: str,
    withdraw_certificates: bool,
    by: int,
    now: datetime,
) -> int:
    """Erase ``user``; return how many certificates were revoked. Flushes, never commits."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError(
            _("Say why the account is erased (for example, the person's request)."), "reason"
        )
    if user.id == by:
        raise ServiceError(_("You cannot erase your own account."))
    if user.erased_at is not None:
        raise ServiceError(_("This account is already erased."))
    old_email = user.email
    revoked = 0
    if withdraw_certificates:
        held = session.scalars(
            select(Certificate).where(
                Certificate.user_id == user.id, Certificate.revoked_at.is_(None)
            )
        )
        for certificate in held:
            certificate_service.revoke(session, certificate, reason, by=by, now=now)
            revoked += 1
    _scrub_rosters(session, old_email)
    _scrub_jobs(session, old_email)
    session.execute(delete(CohortInvitation).where(CohortInvitation.email == old_email))
    session.execute(update(WorkshopMark).where(WorkshopMark.user_id == user.id).values(remark=""))
    # what they wrote in an evaluation may name them; the ratings stay in the figures
    session.execute(
        update(CourseEvaluation)
        .where(CourseEvaluation.user_id == user.id)
        .values(improve="", comments="")
    )
    user.email = erased_email(user.id)
    user.full_name = ERASED_NAME
    user.job_title = ""
    user.set_password(secrets.token_urlsafe(32))  # nobody knows it; the account is inactive too
    user.active = False
    user.must_change_password = False
    user.setup_token_hash = None
    user.setup_expires_at = None
    user.session_version += 1
    user.erased_at = now
    audit.record(
        session, by, "account erased", f"user:{user.id}", now=now,
        reason=reason, certificates_revoked=revoked,
    )  # fmt: skip
    session.flush()
    return revoked


def _scrub_rosters(session: Session, email: str) -> None:
    """Drop the person's lines from every stored roster file that names their e-mail."""
    needle = email.lower()
    uploads = session.scalars(
        select(RosterUpload).where(func.lower(RosterUpload.text).contains(needle, autoescape=True))
    )
    for upload in uploads:
        lines = upload.text.splitlines(keepends=True)
        kept = [line for line in lines if needle not in line.lower()]
        if len(kept) != len(lines):
            upload.text = "".join(kept)


def _scrub_jobs(session: Session, email: str) -> None:
    """Drop the person's lines from jobs' one-time links and prepared files (exports).

    Finished jobs are deleted after 30 days (``jobs.prune``), so there are few to read."""
    needle = email.lower()
    for job in session.scalars(
        select(Job).where(Job.file_name.is_not(None) | Job.result.is_not(None))
    ):
        links = (job.result or {}).get("links")
        if links:
            kept = [link for link in links if needle not in str(link).lower()]
            if len(kept) != len(links):
                job.result = {**job.result, "links": kept}
        if job.file_data:
            lines = job.file_data.decode("utf-8", "replace").splitlines(keepends=True)
            kept = [line for line in lines if needle not in line.lower()]
            if len(kept) != len(lines):
                job.file_data = "".join(kept).encode()
