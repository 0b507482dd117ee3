"""Deny by default: every endpoint needs a logged-in user unless it is marked ``@public``.

Role checks hang on blueprints (``require_role``); object-level checks live in
``lms.services.access``, the one policy point.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import TypeVar

from flask import Flask, abort, current_app, jsonify, redirect, request, url_for
from flask_login import current_user

from lms.extensions import RATE_LIMITED, limiter

F = TypeVar("F", bound=Callable)

#: Endpoints that a logged-in user must still reach while forced to choose a new password.
PASSWORD_CHANGE_ALLOWED = {"auth.change_password", "auth.logout"}


def public(view: F) -> F:
    """Mark a view as reachable without logging in. Keep this list short."""
    view.lms_public = True  # type: ignore[attr-defined]
    return view


def is_public(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # no route matched: the 404/405 handler answers
    view = app.view_functions.get(endpoint)
    return bool(getattr(view, "lms_public", False))


def wants_json() -> bool:
    """JSON answers, errors included: the API (every path under ``/api/``, also one that matches
    no route or method) and the ``.json`` documents."""
    return request.path.startswith("/api/") or request.path.endswith(".json")


def _guard():
    endpoint = request.endpoint
    if is_public(current_app, endpoint):
        return None
    user = current_user._get_current_object()
    if not user.is_authenticated:
        if wants_json():
            return jsonify(error="Log in first."), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if user.must_change_password and endpoint not in PASSWORD_CHANGE_ALLOWED:
        if wants_json():
            return jsonify(error="Choose a new password first."), 403
        return redirect(url_for("auth.change_password"))
    return None


def require_role(*roles: str) -> Callable[[], None]:
    """A ``before_request`` hook for a blueprint whose every page needs one of ``roles``."""

    def check() -> None:
        if current_user.is_authenticated and current_user.role not in roles:
            abort(403)

    return check


@limiter.request_filter  # the limiter is one per process, so is this filter
def _without_own_limit() -> bool:
    """Flask-Limiter request filter: skip the limiter's work on endpoints that have no limit.

    Limits hang on views only (``lms.extensions.Limiter`` refuses any other kind and marks each
    limited view), so resolving limits for every other request buys nothing; on the lesson page it
    cost about as much as the page's database query.
    """
    return not _is_limited(request.endpoint)


def _is_limited(endpoint: str | None, views: dict | None = None) -> bool:
    """Whether ``endpoint``'s view carries a limit (``views``: the app's view functions, when the
    caller holds them, saving the look-up of the current app)."""
    if not endpoint:
        return False
    views = current_app.view_functions if views is None else views
    return getattr(views.get(endpoint), RATE_LIMITED, False)


def _owned_by_limiter(hook) -> bool:
    if isinstance(hook, partial):
        return any(arg is limiter for arg in hook.args)
    return getattr(hook, "__self__", None) is limiter


def _only_where_limited(app: Flask) -> None:
    """Run Flask-Limiter's request hooks only on endpoints that have a limit.

    Flask-Limiter's before-request, after-request and teardown hooks run on every request, and
    even where the request filter above lets the request through they set up and tear down the
    limiter's per-request context and look for headers to add: on the lesson page that was about a
    tenth of the time. Each of its three hooks is wrapped to return at once on an endpoint without
    a limit; on a limited endpoint (login, verification) the limiter works exactly as before.
    """
    wrapped = 0
    for hooks, skip in (
        (app.before_request_funcs, lambda: None),
        (app.after_request_funcs, lambda response: response),
        (app.teardown_request_funcs, lambda exc=None: None),
    ):
        for index, hook in enumerate(hooks.get(None, [])):
            if _owned_by_limiter(hook):
                hooks[None][index] = _gated(hook, skip, app.view_functions)
                wrapped += 1
    if wrapped != 3:
        raise RuntimeError(f"expected Flask-Limiter's three request hooks, found {wrapped}")


def _gated(hook, skip, views: dict):
    @wraps(hook)
    def gate(*args):
        if _is_limited(request.endpoint, views):
            return hook(*args)
        return skip(*args)

    return gate


def init_guard(app: Flask) -> None:
    app.before_request(_guard)
    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        raise RuntimeError("the limiter's request filter assumes limits on views only")
    _only_where_limited(app)
