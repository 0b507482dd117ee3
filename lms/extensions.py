"""Flask extensions, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import flask_limiter
from flask import Blueprint, Flask
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from lms.models.base import Base

#: Set on a view function that carries a rate limit (``lms.web.guard`` lets only those through).
RATE_LIMITED = "lms_rate_limited"


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter's ``Limiter`` whose ``limit`` and ``shared_limit`` decorators also mark the view
    (``RATE_LIMITED``), so the request filter in ``lms.web.guard`` can tell a limited view from the
    rest through public API alone. Limits go on view functions only: a blueprint limit, default or
    application limits, or ``with limiter.limit(...)`` are refused, because the filter would skip
    them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("default_limits") or kwargs.get("application_limits"):
            raise TypeError("limits go on views (the request filter skips unlimited views)")
        super().__init__(*args, **kwargs)

    def limit(self, *args: Any, **kwargs: Any) -> Callable[[Callable], Callable]:
        return _marking(super().limit(*args, **kwargs))

    def shared_limit(self, *args: Any, **kwargs: Any) -> Callable[[Callable], Callable]:
        return _marking(super().shared_limit(*args, **kwargs))


def _marking(decorator: Callable) -> Callable[[Callable], Callable]:
    def decorate(view: Callable) -> Callable:
        if isinstance(view, Blueprint) or not callable(view):
            raise TypeError("rate limits go on view functions, not on blueprints")
        limited = decorator(view)
        for function in (view, limited):  # whichever of the two the route registered
            setattr(function, RATE_LIMITED, True)
        return limited

    return decorate


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


# --- Flask-Migrate, only where migrations run -----------------------------------------------------
# Importing flask_migrate imports Alembic (about a fifth of the app's import time), which a web worker
# never needs. ``init_migrate`` registers a stand-in for both things Flask-Migrate adds to an app: the
# ``flask db`` command group and ``app.extensions["migrate"]`` (which its commands and
# ``migrations/env.py`` read). Either one, when first used, imports Flask-Migrate and sets it up for
# real, with the options below.
MIGRATE_OPTIONS = {"compare_type": True, "render_as_batch": True}


def _real_migrate(app: Flask):
    from flask_migrate import Migrate

    Migrate(**MIGRATE_OPTIONS).init_app(app, db, directory=app.extensions["migrate"].directory)
    return app.extensions["migrate"]


class _MigrateStandIn:
    """``app.extensions["migrate"]`` until someone reads it: then Flask-Migrate's own config."""

    def __init__(self, app: Flask, directory: str):
        self._app = app
        self.directory = directory

    def __getattr__(self, name: str):
        return getattr(_real_migrate(self._app), name)


class _LazyMigrateGroup(click.Group):
    """``flask db``: Flask-Migrate's command group, imported when the command runs."""

    @staticmethod
    def _real() -> click.Group:
        from flask_migrate.cli import db as db_group  # its commands read app.extensions["migrate"]

        return db_group

    def make_context(self, info_name, args, parent=None, **extra):
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx):
        return self._real().list_commands(ctx)

    def get_command(self, ctx, cmd_name):
        return self._real().get_command(ctx, cmd_name)


def init_migrate(app: Flask, directory: str) -> None:
    app.extensions["migrate"] = _MigrateStandIn(app, directory)
    app.cli.add_command(_LazyMigrateGroup("db", help="Perform database migrations."))
