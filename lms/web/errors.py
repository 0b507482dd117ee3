"""Error pages: a clear message and the right status, HTML for people and JSON for the API."""

from __future__ import annotations

import sqlite3

from flask import Flask, current_app, g, jsonify, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from werkzeug.exceptions import HTTPException, InternalServerError

from lms.extensions import db, login_manager
from lms.web.guard import wants_json

MESSAGES = {
    400: _l("The request could not be understood. Go back, check what you entered and try again."),
    401: _l("Please log in first."),
    403: _l("You do not have permission to see this page."),
    404: _l("There is no page at this address. It may have moved, or the link may be mistyped."),
    405: _l("This address does not accept that kind of request."),
    409: _l("That was already done, or something changed meanwhile. Reload the page and check."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts in a short time. Please wait a minute and try again."),
    500: _l("Something went wrong on our side. Nothing was saved. Please try again in a moment."),
    503: _l(
        "The service is unavailable for a moment. Nothing was saved. Please try again in a few "
        "minutes."
    ),
}


def unavailable_errors(uses_postgresql: bool) -> tuple[type[BaseException], ...]:
    """What "the database cannot be reached or refuses to work" raises: SQLAlchemy's wrappers,
    and the drivers' own errors from ``database.Prepared`` statements, which run on the driver.
    psycopg's only where the app uses PostgreSQL: a SQLite site never imports the driver."""
    errors: list[type[BaseException]] = [
        sa_exc.OperationalError,  # connection refused or lost, read-only, locked, timeouts
        sa_exc.InterfaceError,  # a connection the driver already closed
        sa_exc.TimeoutError,  # no pooled connection free in time
        sqlite3.OperationalError,
    ]
    if uses_postgresql:
        import psycopg

        errors += [psycopg.OperationalError, psycopg.InterfaceError]
    return tuple(errors)


def error_response(status: int, message: str | None = None):
    text = str(message or MESSAGES.get(status) or _("The request could not be completed."))
    if wants_json():
        return jsonify(error=text), status
    return render_template("errors/error.html", status=status, message=text), status


def _http_error(error: HTTPException):
    db.session.rollback()
    status = error.code or 500
    message = None
    if isinstance(error, CSRFError):
        message = _(
            "This form has expired or was sent from another site. Reload the page and try again."
        )
    elif status == 429:
        message = MESSAGES[429]
    elif error.description and error.description != type(error).description:
        message = error.description  # a message the view wrote for the user: abort(409, "...")
    return error_response(status, message)


def _server_error(error: Exception):
    db.session.rollback()
    return error_response(500)


def _database_unavailable(error: Exception):
    """503 with the friendly page: the database is down, unreachable or refuses writes."""
    current_app.logger.error("database unavailable: %s", error)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; drop the session instead
        db.session.remove()
    # The page must not ask the database who is logged in (it would fail again): anonymous.
    g._login_user = login_manager.anonymous_user()
    return error_response(503)


def init_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    backend = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    for error in unavailable_errors(backend == "postgresql"):
        app.register_error_handler(error, _database_unavailable)
