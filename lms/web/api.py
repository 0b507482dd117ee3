"""JSON endpoints for the pages' scripts. CSRF token in the ``X-CSRFToken`` header."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user

from lms.extensions import db
from lms.services import ServiceError, access, clock, hours
from lms.web.certificates import issue_if_eligible

bp = Blueprint("api", __name__, url_prefix="/api")

TAB_RE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
MAX_SEQ = 2**53


def _int(data: dict, key: str, low: int, high: int) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        abort(400, f"`{key}` must be a whole number from {low} to {high}.")
    return value


@bp.route("/heartbeat", methods=["POST"])
def heartbeat():
    """Credit active reading time to a lesson (DESIGN.md §2, Attendance hours)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, "Send a JSON object.")
    lesson_key = data.get("lesson")
    tab = data.get("tab")
    catch_up = data.get("catch_up", False)
    if not isinstance(lesson_key, str) or len(lesson_key) > 250:
        abort(400, "`lesson` must name a lesson.")
    if not isinstance(tab, str) or not TAB_RE.match(tab):
        abort(400, "`tab` must be 8 to 40 letters, digits, '-' or '_'.")
    if not isinstance(catch_up, bool):
        abort(400, "`catch_up` must be true or false.")
    seconds = _int(data, "seconds", 0, hours.MAX_REPORTED_SECONDS)
    seq = _int(data, "seq", 1, MAX_SEQ)
    catalog = current_app.extensions["lms.catalog"]
    lesson = catalog.lesson_by_key(lesson_key)
    if lesson is None:
        abort(404, "There is no such lesson.")
    if not access.may_read_course(db.session, current_user, lesson.course_slug):
        abort(403, "You are not enrolled in this course.")
    try:
        result = hours.record_heartbeat(
            db.session,
            catalog,
            current_user.id,
            hours.Heartbeat(lesson.key, seconds, seq, tab, catch_up),
            now=clock.now(),
        )
    except ServiceError as error:
        abort(400, error.message)
    if result.credited:
        # the time that completes the last requirement issues the certificate, in this transaction
        issue_if_eligible(current_user.id, lesson.course_slug)
    # Commit here rather than after the response is built: on SQLite the write lock is held until
    # the commit, and it is what limits heartbeats per second.
    db.session.commit()
    return jsonify(
        credited=result.credited,
        lesson_seconds=result.lesson_seconds,
        lesson_minutes=lesson.minutes,
        repeated=result.repeated,
    )
