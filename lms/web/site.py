"""The home page and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from lms.extensions import db
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
    """200 once the database answers; 503 with the reason otherwise (for load balancers)."""
    catalog = current_app.extensions["lms.catalog"]
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any database failure means "not healthy"
        db.session.rollback()
        return jsonify(status="unavailable", database=type(error).__name__), 503
    return jsonify(status="ok", database="ok", content_version=catalog.version)
