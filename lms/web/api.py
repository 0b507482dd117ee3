"""JSON endpoints for the pages' scripts. CSRF token in the ``X-CSRFToken`` header, or for the
heartbeat sent by ``navigator.sendBeacon`` (which cannot set headers) in the form body's
``csrf_token`` field: Flask-WTF's ``CSRFProtect`` checks either before the view runs, so no POST
here goes without a valid token. ``GET /api/csrf`` gives a page whose token went stale (a page kept
by the browser or the service worker, a session logged in again) the current one."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user

from lms.extensions import db
from lms.services import ServiceError, access, clock, heartbeat
from lms.web.certificates import issuer
from lms.web.security import csrf_token

bp = Blueprint("api", __name__, url_prefix="/api")

TAB_RE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
MAX_SEQ = 2**53


DIGITS = re.compile(r"^[0-9]{1,16}$")
FIELDS = ("lesson", "tab", "seconds", "seq", "catch_up", "owner")
FLAGS = {"true": True, "1": True, "false": False, "0": False}


def _int(data: dict, key: str, low: int, high: int) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        abort(400, f"`{key}` must be a whole number from {low} to {high}.")
    return value


def _body() -> dict:
    """The heartbeat as JSON (``fetch``) or as a form (``navigator.sendBeacon``'s
    URLSearchParams, which carries the CSRF token too): the same fields either way."""
    if request.mimetype == "application/x-www-form-urlencoded":
        data: dict = {}
        for name in FIELDS:
            values = request.form.getlist(name)
            if len(values) > 1:
                abort(400, f"`{name}` must be sent once.")
            if values:
                data[name] = values[0]
        for name in ("seconds", "seq", "owner"):  # ASCII digits only ("²".isdigit() is true)
            if DIGITS.match(data.get(name, "")):
                data[name] = int(data[name])
        if "catch_up" in data:
            data["catch_up"] = FLAGS.get(data["catch_up"], data["catch_up"])
        return data
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, "Send a JSON object.")
    return data


@bp.route("/heartbeat", methods=["POST"], endpoint="heartbeat")
def post_heartbeat():
    """Credit active reading time to a lesson (DESIGN.md §2, Attendance hours)."""
    data = _body()
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
    # the learner the page was for: time queued on a shared phone is never credited to whoever
    # is logged in when it is sent
    if "owner" in data and _int(data, "owner", 1, MAX_SEQ) != current_user.id:
        abort(409, "This time was read by someone else logged in on this browser.")
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


@bp.route("/csrf", endpoint="csrf")
def get_csrf():
    """The session's CSRF token now, for a page whose own went stale; never stored."""
    response = jsonify(token=csrf_token(), owner=current_user.id)
    response.headers["Cache-Control"] = "no-store"
    return response
