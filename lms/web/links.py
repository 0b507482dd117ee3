"""Absolute links to this site, as its users reach it: the one place that reads ``LMS_PUBLIC_URL``.

For every address that leaves the page and must work from elsewhere: QR codes and verification
links on certificates, Open Badges ids, join and one-time links passed on by hand or by e-mail;
and the request context on that address in which an RQ worker writes such links into e-mails.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, has_request_context

from lms.extensions import db


def public_url(path: str = "/") -> str:
    """``path`` (starting with ``/``) on the public site, e.g. ``https://learn.example.org/join``."""
    return current_app.config["LMS_PUBLIC_URL"] + path


def in_public_request(run: Callable[..., None], *args) -> None:
    """Run ``run(*args)`` where templates and ``url_for`` work: in the current request, or (a task
    ``lms.jobs.later`` handed to an RQ worker) in a request context on the public address, the
    database session removed after it."""
    if has_request_context():
        run(*args)
        return
    try:
        with current_app.test_request_context("/", base_url=current_app.config["LMS_PUBLIC_URL"]):
            run(*args)
    finally:
        db.session.remove()


def init_links(app: Flask) -> None:
    app.jinja_env.globals["public_url"] = public_url
