"""The home page and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user

from lms import database
from lms.extensions import db
from lms.models.users import User
from lms.web.guard import public

bp = Blueprint("site", __name__)


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("learner.dashboard"))
    return render_template("site/index.html", courses=list(current_app.extensions["lms.catalog"]))


@bp.route("/healthz")
@public
def healthz():
    """200 once the database answers and accepts writes; 503 otherwise (for load balancers).

    The reason goes to the log, not to the public."""
    catalog = current_app.extensions["lms.catalog"]
    try:
        database.check_writable(db.engine, User.__table__)
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        current_app.logger.exception("health check: the database is not usable")
        return jsonify(status="unavailable", database="unavailable"), 503
    return jsonify(status="ok", database="ok", content_version=catalog.version)
