"""The app as gunicorn serves it in the benchmark, plus a bare route that returns a lesson's bytes.

The bare route is the baseline: the same Flask app, the same response bytes and headers, but none of
the lesson's work (session, enrolment check, slot filling). ``BENCH_LESSON`` names the lesson.
"""

from __future__ import annotations

import os

from flask import Response

from lms.web.guard import public
from lms.wsgi import app

_lesson = app.extensions["lms.catalog"].lesson_by_key(os.environ["BENCH_LESSON"])
_page = app.extensions["lms.lesson_pages"].page("en", _lesson.key)
_values = app.extensions["lms.lesson_pages"].values("en", "learner", "x" * 91, 0)
_gzip_body = _page.render_gzip(_values)


_headers = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Vary", "Accept-Encoding"),
    ("Content-Encoding", "gzip"),
)


@public
def bare() -> Response:
    return Response(_gzip_body, headers=_headers)  # built as the lesson view builds its response


app.add_url_rule("/bench/bare", "bench_bare", bare)
