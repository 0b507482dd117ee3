"""Absolute links to this site, as its users reach it: the one place that reads ``LMS_PUBLIC_URL``.

For every address that leaves the page and must work from elsewhere: QR codes and verification
links on certificates, Open Badges ids, join and one-time links passed on by hand or by e-mail.
"""

from __future__ import annotations

from flask import Flask, current_app


def public_url(path: str = "/") -> str:
    """``path`` (starting with ``/``) on the public site, e.g. ``https://learn.example.org/join``."""
    return current_app.config["LMS_PUBLIC_URL"] + path


def init_links(app: Flask) -> None:
    app.jinja_env.globals["public_url"] = public_url
