"""The web layer: blueprints by audience, hooks, and what templates may call."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import BaseConverter

from lms import database, mail
from lms.config import ROOT
from lms.extensions import db
from lms.formatting import format_minutes
from lms.web.parsing import BoundedJSONProvider, IdConverter


class CodeConverter(BaseConverter):
    """A verification code as typed: letters, digits and dashes (never a dot, so ``.json`` is free)."""

    regex = r"[0-9A-Za-z-]{1,40}"


class SlugConverter(BaseConverter):
    """Catalog slugs: lowercase letters, digits and dashes. Anything else (``..``, ``%2F``) is a 404."""

    regex = r"[a-z0-9][a-z0-9-]{0,79}"


def _unit_of_work(app: Flask) -> None:
    """One transaction per request: reads begin deferred; a request that fails rolls back."""

    @app.before_request
    def _begin():
        request.environ["lms.read_only_token"] = database.set_read_only(
            request.method in ("GET", "HEAD", "OPTIONS")
        )

    @app.after_request
    def _commit(response):
        if not db.session.registry.has():
            return response  # the request never opened an ORM session (the lesson page)
        session = db.session()
        if not session.in_transaction():
            return response  # nothing read or written since the view's own commit
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
        return response

    @app.teardown_request
    def _end(exc):
        token = request.environ.pop("lms.read_only_token", None)
        if token is not None:
            database.reset_read_only(token)


def init_web(app: Flask) -> None:
    from lms.web import (
        admin,
        api,
        auth,
        certificates,
        cohorts,
        figures,
        jobs,
        knowledge,
        learner,
        quiz,
        site,
        teach,
        verify,
    )
    from lms.web.assets import init_assets
    from lms.web.errors import init_errors
    from lms.web.guard import init_guard
    from lms.web.language import init_language
    from lms.web.lesson_pages import LessonPages
    from lms.web.links import init_links
    from lms.web.offline import init_offline
    from lms.web.paging import init_paging
    from lms.web.security import init_security
    from lms.web.session import init_session

    app.url_map.converters["int"] = IdConverter  # every <int:id>: ASCII digits, in the DB's range
    app.url_map.converters["slug"] = SlugConverter
    app.url_map.converters["code"] = CodeConverter
    app.url_map.strict_slashes = False
    app.json = BoundedJSONProvider(app)  # request.get_json refuses JSON nested absurdly deep
    _unit_of_work(app)  # first: no hook may touch the database before the transaction mode is set
    init_session(app)
    init_guard(app)
    init_errors(app)
    init_security(app)
    init_assets(app, ROOT / "static")
    init_links(app)
    init_language(app)
    init_paging(app)
    for module in (site, auth, learner, quiz, api, teach, certificates, verify, jobs, knowledge,
                   figures):  # fmt: skip
        app.register_blueprint(module.bp)
    app.register_blueprint(certificates.admin_bp)
    app.register_blueprint(cohorts.bp)
    app.register_blueprint(cohorts.join_bp)
    app.register_blueprint(admin.bp)
    init_offline(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["catalog"] = app.extensions["lms.catalog"]
    app.jinja_env.globals["sends_mail"] = mail.mail_configured  # {% if sends_mail() %}
    app.jinja_env.filters["hours"] = format_minutes
    from lms.web.forms import province_label

    app.jinja_env.globals["province_label"] = province_label  # a stored province, as pages name it
    app.extensions["lms.lesson_pages"] = LessonPages(app, app.extensions["lms.catalog"])
