"""JSON endpoints for the pages' scripts. CSRF token in the ``X-CSRFToken`` header."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user

from lms.extensions import db
from lms.services import ServiceError, access, clock, heartbeat
from lms.web.certificates import issuer

bp = Blueprint("api", __name__, url_prefix="/api")

TAB_RE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
MAX_SEQ = 2**53


def _int(data: dict, key: str, low: int, high: int) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        abort(400, f"`{key}` must be a whole number from {low} to {high}.")
    return value


@bp.route("/heartbeat", methods=["POST"], endpoint="heartbeat")
def post_heartbeat():
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
    seconds = _int(data, "seconds", 0, heartbeat.MAX_REPORTED_SECONDS)
    seq = _int(data, "seq", 1, MAX_SEQ)
    catalog = current_app.extensions["lms.catalog"]
    lesson = catalog.lesson_by_key(lesson_key)
    if lesson is None:
        abort(404, "There is no such lesson.")
    # from the principal's enrolments: the ORM session stays unused, as heartbeat.record needs
    if not access.may_read_course(db.session, current_user, lesson.course_slug):
        abort(403, "You are not enrolled in this course.")
    beat = heartbeat.Heartbeat(lesson.key, seconds, seq, tab, catch_up)
    try:
        result = heartbeat.record(
            db.session, catalog, issuer(), current_user.id, beat, now=clock.now()
        )
    except ServiceError as error:
        abort(400, error.message)
    return jsonify(
        credited=result.credited,
        lesson_seconds=result.lesson_seconds,
        lesson_minutes=lesson.minutes,
        repeated=result.repeated,
    )
