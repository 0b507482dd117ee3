"""Flask extensions, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask_limiter
from flask import Blueprint
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
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
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
