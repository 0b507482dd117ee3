"""Long work off the request: bulk issuing, whole-cohort registers, large roster imports, exports.

A job is a ``Job`` row: its kind, who started it, JSON arguments, state (queued -> running -> done
or failed), progress (``done`` of ``total``), a result and an error. ``lms.jobs`` decides where it
runs (an RQ worker, or inline in the request when no Redis is configured); either way ``run`` below
does the work, so both paths are the same code.

Every task is idempotent, because a worker that dies is restarted and a queued job may run twice:
- per-learner tasks (issuing, the register) commit in batches, and each batch commits the learners
  it finished together with the point to resume after (``result["after"]``), so a second run goes
  on where the first stopped; each learner is still checked before anything is written
  (``certificates.find_for``, the register's existing marks), and the services' unique rules
  (one certificate per learner and course, one mark per learner and session) hold beneath that;
- the roster import is one transaction (all rows or none) that locks and deletes its upload, so a
  second run finds the upload gone and the job done;
- an export is rebuilt from the database, so running it again gives the same file (the cohort's
  certificates ZIP too: its PDFs are drawn again from the certificates' snapshots).

The task re-checks, as the person who started the job, that they may still act on the cohort or
session (``access``), since time passes between the click and the work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from lms import i18n
from lms.certificates import codes
from lms.certificates.view import PDF_LANGUAGES, PDF_SUFFIXES, pdf_file_name, view_of
from lms.content import Catalog
from lms.models.cohorts import Cohort
from lms.models.hours import WorkshopMark
from lms.models.jobs import Job
from lms.models.users import User
from lms.services import ServiceError, access, certificates, cohorts, exports, roster, workshops

log = logging.getLogger(__name__)

#: a roster of more rows, or a progress export of more learners, runs as a job
LARGE = 500
#: learners finished (and committed) per step of a per-learner task
BATCH = 200
#: finished jobs (their results and files, which hold personal data) are kept this long
KEPT = timedelta(days=30)

ISSUE_CERTIFICATES = "issue-certificates"
REGISTER_COHORT = "register-cohort"
IMPORT_ROSTER = "import-roster"
EXPORT_MATRIX = "export-matrix"
#: the cohort's certificates as one ZIP of PDFs: only its starter may see it (``access.job_for``)
CERTIFICATES_ZIP = "certificates-zip"
#: certificate PDFs drawn between two progress commits of the ZIP job
PDF_STEP = 20

UNEXPECTED = _l(
    "The job stopped because of an unexpected error. Whatever it had finished is kept; start it "
    "again to finish the rest, or ask an administrator to look at the server's log."
)


@dataclass(frozen=True)
class Context:
    """What a task needs from the application (passed in: services read no settings)."""

    catalog: Catalog
    issuer: certificates.Issuer
    public_url: str
    now: datetime
    secret_key: str  #: signs invitation links (``cohorts.invitation_token``)
    #: ``(invitation ids, language)``: tell the invited addresses by e-mail, if the site sends mail
    #: (``lms.jobs.tell_invited``); called once they are committed
    tell_invited: Callable[[list[int], str], None] = lambda ids, locale: None


def create(
    session: Session,
    kind: str,
    *,
    by: int,
    arguments: dict,
    now: datetime,
    total: int | None = None,
    key: str | None = None,
) -> Job:
    """Record a queued job (flush only); ``lms.jobs.start`` commits and dispatches it."""
    if kind not in TASKS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job(kind=kind, key=key, started_by=by, arguments=arguments, state="queued", done=0,
              total=total, runs=0, created_at=now)  # fmt: skip
    session.add(job)
    session.flush()
    return job


def find_by_key(session: Session, key: str) -> Job | None:
    """The job that waits or runs under ``key`` (a finished or failed job gives its key up)."""
    return session.scalar(select(Job).where(Job.key == key))


def fail(session: Session, job_id: int, message: str, *, now: datetime) -> None:
    """Record that the job failed, with a message for the person who started it (commits)."""
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state != "done")
        .values(state="failed", error=str(message), finished_at=now, key=None)
    )
    session.commit()


def run(session: Session, context: Context, job_id: int) -> None:
    """Run the job (or run it again after a crash); a done job is left alone.

    Commits its own steps. Any failure is recorded on the job and never raised: the page that
    shows the job says what went wrong. Its messages and files are in the language of the page
    that started it (``arguments["locale"]``), whether it runs in a worker or in the request.
    """
    claimed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state != "done")
        .values(state="running", runs=Job.runs + 1, started_at=context.now, error=None,
                finished_at=None)
    ).rowcount  # fmt: skip
    session.commit()
    if not claimed:
        return
    job = session.get(Job, job_id)
    kind, locale = job.kind, i18n.known(job.arguments.get("locale"))
    with force_locale(locale) if locale else nullcontext():
        try:
            TASKS[kind](session, context, job)
        except ServiceError as error:
            session.rollback()
            fail(session, job_id, error.message, now=context.now)
        except Exception:
            log.exception("job %s (%s) failed", job_id, kind)
            session.rollback()
            fail(session, job_id, UNEXPECTED, now=context.now)


def prune(session: Session, *, now: datetime) -> int:
    """Delete jobs that finished more than ``KEPT`` ago (flush only)."""
    removed = session.execute(
        delete(Job).where(Job.finished_at.is_not(None), Job.finished_at < now - KEPT)
    ).rowcount
    session.flush()
    return removed


# --- helpers -------------------------------------------------------------------------------------
def _starter(session: Session, job: Job) -> User:
    user = session.get(User, job.started_by) if job.started_by else None
    if user is None or not user.active:
        raise ServiceError(_("The account that started this job is no longer active."))
    return user


def _cohort(session: Session, job: Job) -> tuple[User, Cohort]:
    viewer = _starter(session, job)
    cohort = access.cohort_for(session, viewer, job.arguments["cohort"])
    if cohort is None:
        raise ServiceError(_("This cohort is gone, or you no longer teach it."))
    return viewer, cohort


def _finish(session: Session, job: Job, now: datetime) -> None:
    job.key = None  # the key holds only while a job waits or runs (an upload's id can come back)
    job.state = "done"
    job.finished_at = now
    session.commit()


def _per_learner(
    session: Session,
    job: Job,
    learner_ids: list[int],
    step: Callable[[list[int]], list[str]],
    now: datetime,
) -> None:
    """Run ``step`` on the learners not finished yet, ``BATCH`` at a time, committing each batch
    with its outcome counts and the last learner it finished; then mark the job done."""
    ids = sorted(set(learner_ids))
    result = dict(job.result or {})
    todo = [i for i in ids if i > result.get("after", 0)]
    job.total = len(ids)
    job.done = len(ids) - len(todo)
    session.commit()
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        for outcome in step(batch):
            result[outcome] = result.get(outcome, 0) + 1
        result["after"] = batch[-1]
        job.result = dict(result)
        job.done = job.done + len(batch)
        session.commit()
    job.result = dict(result)
    _finish(session, job, now)


# --- the tasks -----------------------------------------------------------------------------------
def _issue_certificates(session: Session, context: Context, job: Job) -> None:
    """Issue the certificate to every eligible member of the cohort who has none yet."""
    viewer, cohort = _cohort(session, job)
    course_slug = cohort.course_slug

    def step(batch: list[int]) -> list[str]:
        outcomes = []
        for learner_id in batch:
            if certificates.find_for(session, learner_id, course_slug) is not None:
                outcomes.append("already")
                continue
            try:
                certificates.issue(session, context.catalog, context.issuer, learner_id,
                                   course_slug, now=context.now, by=viewer.id)  # fmt: skip
            except ServiceError:
                outcomes.append("not_eligible")  # the matrix shows what is missing
            else:
                outcomes.append("issued")
        return outcomes

    _per_learner(session, job, cohorts.member_ids(session, cohort), step, context.now)


def _register_cohort(session: Session, context: Context, job: Job) -> None:
    """Put every member of the session's cohort on its register as present (marks already there,
    whatever they say, are left as they are)."""
    viewer = _starter(session, job)
    workshop = access.workshop_for(session, viewer, job.arguments["workshop"])
    if workshop is None:
        raise ServiceError(_("This workshop session is gone, or you no longer teach it."))
    if workshop.cohort_id is None:
        raise ServiceError(_("This session was not recorded for a cohort; add learners by e-mail."))
    cohort = session.get(Cohort, workshop.cohort_id)

    def step(batch: list[int]) -> list[str]:
        marked = set(
            session.scalars(
                select(WorkshopMark.user_id).where(
                    WorkshopMark.session_id == workshop.id, WorkshopMark.user_id.in_(batch)
                )
            )
        )
        outcomes = []
        for learner_id in batch:
            if learner_id in marked:
                outcomes.append("already")
                continue
            try:
                # the service issues the certificate when this mark completes the course
                workshops.mark(session, workshop, learner_id, status="present", by=viewer.id,
                               now=context.now, catalog=context.catalog,
                               issuer=context.issuer)  # fmt: skip
            except ServiceError:
                outcomes.append("skipped")  # no longer enrolled in the course
                continue
            outcomes.append("added")
        return outcomes

    _per_learner(session, job, cohorts.member_ids(session, cohort), step, context.now)


def _import_roster(session: Session, context: Context, job: Job) -> None:
    """Import a previewed roster: every row or none, in one transaction that deletes the upload."""
    _viewer, cohort = _cohort(session, job)
    upload = roster.claim_upload(session, cohort, job.arguments["upload"])
    if upload is None:
        session.refresh(job)
        if job.state == "done":  # another run of this job imported it while this one waited
            session.rollback()
            return
        raise ServiceError(
            _("This roster is no longer waiting to be imported: it was imported or removed.")
        )
    checked = roster.read(upload.text)
    if not checked.ok:
        raise ServiceError(
            _("The file has errors; nothing was imported. Fix them and upload it again.")
        )
    direct = bool(job.arguments.get("direct"))
    imported = roster.import_rows(session, context.catalog, cohort, checked.rows,
                                  by=job.started_by, now=context.now, direct=direct)  # fmt: skip
    session.delete(upload)
    if direct:  # a one-time link for each account it created
        welcome = f"{context.public_url}/welcome/"
        links = [
            [i.row.line, i.row.full_name, i.row.email, welcome + i.setup_token]
            for i in imported
            if i.new
        ]
        header, file_name = "One-time link", f"cohort-{cohort.id}-one-time-links.csv"
    else:  # an invitation link for every row, alike whatever the address
        base, key = f"{context.public_url}/invitations/", context.secret_key
        links = roster.invitation_lines(
            imported, lambda invitation: base + cohorts.invitation_token(key, invitation)
        )
        header, file_name = "Invitation link", f"cohort-{cohort.id}-invitation-links.csv"
    invited = [i.invitation.id for i in imported if i.invitation]  # read before the commit
    locale = job.arguments.get("locale") or "en"
    job.result = {"rows": len(imported), "direct": direct, "links": links}
    job.done = job.total = len(imported)
    if links:
        notes = {roster.MEMBER: _("(already a member)"), roster.DECLINED: _("(declined earlier)")}
        cells = [[*line[:3], line[3] or notes[line[4]]] for line in links]
        text = exports.csv_text([[_("Line"), _("Name"), _("E-mail"), header], *cells])
        job.file_name = file_name
        job.file_type = "text/csv; charset=utf-8"
        job.file_data = ("\ufeff" + text).encode()
    _finish(session, job, context.now)
    if not direct:
        context.tell_invited(invited, locale)


def _export_matrix(session: Session, context: Context, job: Job) -> None:
    """The progress matrix as CSV, whole, kept on the job for download."""
    _viewer, cohort = _cohort(session, job)
    matrix = cohorts.matrix(
        session, context.catalog, cohort, today=context.now.date(),
        only_overdue=bool(job.arguments.get("only_overdue", job.arguments.get("overdue_only"))),
        by_progress=bool(job.arguments.get("by_progress")),
    )  # fmt: skip
    rows = matrix.rows
    job.file_data = exports.progress_csv(matrix, rows).encode()
    job.file_name = f"cohort-{cohort.id}-progress.csv"
    job.file_type = "text/csv; charset=utf-8"
    job.result = {"rows": len(rows)}
    job.done = job.total = len(rows)
    _finish(session, job, context.now)


def _certificates_zip(session: Session, context: Context, job: Job) -> None:
    """Every current certificate of the cohort's course held by a member (revoked ones left
    out), one PDF each in the language asked for, in one ZIP kept on the job for download."""
    from lms.certificates.pdf import render  # fpdf2 loads in the job, not at start-up

    _viewer, cohort = _cohort(session, job)
    language = job.arguments.get("language")
    if language not in PDF_LANGUAGES:
        raise ServiceError(_("Choose the certificates' language: English, Urdu or both."))
    held = certificates.current_of(session, cohort.course_slug,
                                   cohorts.member_ids(session, cohort))  # fmt: skip
    chosen = sorted((c for c in held.values() if not c.revoked), key=lambda c: c.serial)
    course = context.catalog.course(cohort.course_slug)
    job.total, job.done = len(chosen), 0
    session.commit()

    def files():
        for number, certificate in enumerate(chosen, start=1):
            view = view_of(
                certificate,
                verify_url=f"{context.public_url}/verify/{codes.grouped(certificate.code)}",
                status=certificates.status(certificate, context.now),
                course=course,
            )
            yield (
                pdf_file_name(certificate.serial, certificate.name, language),
                render(view, language),
            )
            if number % PDF_STEP == 0:
                job.done = number
                session.commit()

    data = exports.zip_of(files()) if chosen else None
    suffix = PDF_SUFFIXES[language]
    job.file_name = f"cohort-{cohort.id}-certificates{suffix}.zip" if data else None
    job.file_type = "application/zip" if data else None
    job.file_data = data
    job.result = {"certificates": len(chosen), "language": language}
    job.done = len(chosen)
    _finish(session, job, context.now)


TASKS: dict[str, Callable[[Session, Context, Job], None]] = {
    ISSUE_CERTIFICATES: _issue_certificates,
    REGISTER_COHORT: _register_cohort,
    IMPORT_ROSTER: _import_roster,
    EXPORT_MATRIX: _export_matrix,
    CERTIFICATES_ZIP: _certificates_zip,
}
