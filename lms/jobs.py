"""Where long jobs run: on RQ workers when ``LMS_REDIS_URL`` is set, else inline in the request.

``start`` records the job (``lms.services.jobs.create``), commits, and then either puts its id on
the RQ queue or runs it at once; both end in ``lms.services.jobs.run``, so the inline mode that
``make run`` and the tests use is the same code path as a worker's. The queue carries only the
job's id: the arguments, progress and result live in the database row.

The queue is opt-in (``LMS_REDIS_URL``), not taken from ``LMS_RATELIMIT_STORAGE_URL``: a site that
keeps its rate limits in Redis but runs no worker would otherwise leave every job queued forever.
Point ``LMS_REDIS_URL`` at the same Redis server (another database number is tidy) and run
``flask --app lms lms worker``. ``rq`` is imported only when a queue is configured, so a web
process without one never loads it.
"""

from __future__ import annotations

import importlib
import logging
import os

from flask import Flask, current_app

from lms import mail
from lms.extensions import db
from lms.models.jobs import Job
from lms.services import certificates, clock
from lms.services import jobs as service

log = logging.getLogger(__name__)

QUEUE = "lms"
#: the longest a job may run before RQ stops it (a 10,000-learner cohort takes minutes, not hours)
TIMEOUT = 60 * 60
#: how long RQ keeps its own record of a finished job (ours is the database row)
RQ_RESULT_TTL = 24 * 60 * 60

QUEUE_DOWN = (
    "The job queue could not be reached, so the job did not start and nothing was changed. "
    "Try again in a minute; if it keeps happening, tell an administrator."
)


def redis_url(app: Flask | None = None) -> str:
    return (app or current_app).config.get("LMS_REDIS_URL") or ""


def _context(app: Flask) -> service.Context:
    config = app.config
    return service.Context(
        catalog=app.extensions["lms.catalog"],
        issuer=certificates.Issuer(
            config["LMS_ISSUER_NAME"], config["LMS_SIGNATORY_NAME"], config["LMS_SIGNATORY_TITLE"]
        ),
        public_url=app.config["LMS_PUBLIC_URL"],
        now=clock.now(),
        secret_key=app.secret_key,
        tell_invited=tell_invited,
    )


def queue(url: str):
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE, connection=Redis.from_url(url))


def start(
    kind: str, *, by: int, arguments: dict, total: int | None = None, key: str | None = None
) -> Job:
    """Record the job and commit; then queue it, or run it now when no queue is configured.

    Commits the request's transaction: call it last, once everything else the request does is
    done. Returns the job (in the state the page should show). Never raises for the queue being
    down: the job is recorded as failed, with a message saying so.
    """
    job = service.create(db.session, kind, by=by, arguments=arguments, total=total, key=key,
                         now=clock.now())  # fmt: skip
    db.session.commit()
    job_id = job.id
    url = redis_url()
    if not url:
        service.run(db.session, _context(current_app), job_id)
    else:
        try:
            queue(url).enqueue(
                "lms.jobs.work", job_id, job_id=f"lms-job-{job_id}", job_timeout=TIMEOUT,
                result_ttl=RQ_RESULT_TTL, description=f"{kind} #{job_id}",
            )  # fmt: skip
        except Exception:  # redis.exceptions.ConnectionError and its kin
            log.exception("could not queue job %s", job_id)
            service.fail(db.session, job_id, QUEUE_DOWN, now=clock.now())
    return db.session.get(Job, job_id)


#: how long RQ keeps a short task that failed (its arguments, an e-mail address, with it): as long as
#: a reset link lasts, time enough to see it in ``rq info`` and requeue it
SHORT_FAILURE_TTL = 60 * 60


def later(function: str, *args, timeout: int = 60) -> None:
    """Run a short task with no page to follow (an e-mail: ``lms.web.auth.account_mail``) off
    the request: on the RQ queue when ``LMS_REDIS_URL`` is set (stopped after ``timeout``
    seconds), else now, in this request (as ``start`` runs a job inline), and also now if the
    queue cannot be reached (a message late is better than none). Run now, a task that fails is
    logged, not raised: the request has done its work and committed it. ``function`` is a dotted
    name, ``args`` plain values; no job row is written (there is no page to show, and an address
    someone typed is not kept in the database).
    """
    url = redis_url()
    if url:
        try:
            queue(url).enqueue(
                function, *args, job_timeout=timeout, result_ttl=0,
                failure_ttl=SHORT_FAILURE_TTL, description=function.rpartition(".")[2],
            )  # fmt: skip
            return
        except Exception:  # redis.exceptions.ConnectionError and its kin
            log.exception("could not queue %s; running it in the request", function)
    module, _dot, name = function.rpartition(".")
    try:
        getattr(importlib.import_module(module), name)(*args)
    except Exception:
        log.exception("%s failed", function)


#: the task that tells invited addresses of their invitations by e-mail, how many one task tells
#: (on one SMTP connection) and how long it may take (a hosted mail service may accept only a
#: message every second or two)
INVITATION_MAIL, INVITATIONS_A_TASK, INVITATION_MAIL_TIMEOUT = (
    "lms.web.cohorts.invitation_mail",
    50,
    300,
)


def tell_invited(invitation_ids: list[int], page_locale: str) -> None:
    """E-mail these invitations their links when the site sends mail, else do nothing: a task
    (``later``) per fifty. The invitations must be committed already; which of them are told is
    ``cohorts.claim_for_mail``'s rule."""
    if not mail.mail_configured():
        return
    ids = sorted(set(invitation_ids))
    for start in range(0, len(ids), INVITATIONS_A_TASK):
        later(INVITATION_MAIL, ids[start : start + INVITATIONS_A_TASK], page_locale,
              timeout=INVITATION_MAIL_TIMEOUT)  # fmt: skip


def work(job_id: int) -> None:
    """What an RQ worker runs (by name, ``lms.jobs.work``) in the app context the worker set up."""
    try:
        service.run(db.session, _context(current_app), job_id)
    finally:
        db.session.remove()


def run_worker(app: Flask, *, burst: bool = False, worker_class=None) -> bool:
    """Run an RQ worker on the ``lms`` queue in ``app``'s context (pushed by the caller).

    The default ``rq.Worker`` forks a child per job: a job that crashes or runs out of memory
    takes only its child down. Children inherit the app; the engine's pool is emptied first so no
    database connection is shared across the fork.
    """
    from redis import Redis
    from rq import Queue, Worker

    url = redis_url(app)
    connection = Redis.from_url(url)
    db.engine.dispose()
    worker = (worker_class or Worker)(
        [Queue(QUEUE, connection=connection)], connection=connection,
        name=f"lms-{os.uname().nodename}-{os.getpid()}",
    )  # fmt: skip
    return worker.work(burst=burst)
