"""A background job's page, its JSON status for the progress bar, and its prepared file.

Only the person who started a job (and administrators, except for the kinds in
``access.STARTER_ONLY_JOBS``, such as a cohort's certificates ZIP) may see it (``access.job_for``);
anyone else gets a 404, so job numbers reveal nothing.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.extensions import db
from lms.models.jobs import Job
from lms.services import access

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

FINISHED = ("done", "failed")


def _job_or_404(job_id: int) -> Job:
    job = access.job_for(db.session, current_user, job_id)
    if job is None:
        abort(404)
    return job


@bp.route("/<int:job_id>")
def show(job_id: int):
    job = _job_or_404(job_id)
    return render_template("jobs/show.html", job=job, finished=job.state in FINISHED)


@bp.route("/<int:job_id>.json")
def status(job_id: int):
    """What the progress bar needs; the page itself shows the result once ``finished``."""
    job = _job_or_404(job_id)
    return jsonify(
        state=job.state,
        done=job.done,
        total=job.total,
        finished=job.state in FINISHED,
        page=url_for("jobs.show", job_id=job.id),
    )


@bp.route("/<int:job_id>/<name>")
def download(job_id: int, name: str):
    """The job's prepared file, under its own name (so the address says what it is)."""
    job = _job_or_404(job_id)
    if job.state != "done" or not job.file_name or name != job.file_name:
        abort(404, _("This job has no such file (or not yet)."))
    response = Response(job.file_data or b"", mimetype=job.file_type or "application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{job.file_name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
