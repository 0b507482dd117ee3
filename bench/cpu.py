"""CPU time per request, in one process (so the host's load does not enter): the lesson page and
the verification page against a plain Flask app returning the same bytes, through the same test
client. Imported by ``python -m bench``; alone:

    python -m bench.cpu [--requests 2000] [--profile lesson|verify [--sort cumulative] [--dump F]]
                        [--database URL]

``--profile`` prints where one page's time goes (cProfile over the requests); ``--database``: an
empty database (PostgreSQL) to fill and use instead of a new SQLite file (tables dropped after).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from flask import Flask, Response

from bench.production import SECRET_KEY, SIGNING_KEY


def _plain(response) -> Flask:
    """A Flask app with no extension and no hook whose one route returns ``response``'s bytes."""
    app = Flask("plain")
    body = response.get_data()
    headers = [
        (k, v) for k, v in response.headers if k.lower() not in ("content-length", "set-cookie")
    ]

    @app.route("/plain")
    def plain() -> Response:
        return Response(body, status=response.status_code, headers=headers)

    return app


def _cpu_per_request(client, path: str, n: int, headers: dict | None = None) -> float:
    """Median over five runs of the CPU seconds of ``n`` requests, per request, in µs."""
    runs = []
    for _ in range(5):
        start = time.process_time()
        for _i in range(n):
            client.get(path, headers=headers)
        runs.append((time.process_time() - start) / n * 1e6)
    return sorted(runs)[2]


def measure(
    requests: int = 1000,
    profile: str | None = None,
    database: str | None = None,
    sort: str = "tottime",
    dump: str | None = None,
) -> dict:
    """{page: µs of CPU a request} for the lesson page, the verification page and their plain twins."""
    saved = dict(os.environ)
    os.environ.update({
        "LMS_ENV": "production", "LMS_SECRET_KEY": SECRET_KEY, "LMS_SIGNING_KEY": SIGNING_KEY,
        "LMS_SECURE_COOKIES": "0", "LMS_VERIFY_LIMIT": "100000000 per minute",
        "LMS_RATELIMIT_STORAGE_URL": "memory://",
    })  # fmt: skip
    tmp = tempfile.mkdtemp()
    os.environ["LMS_DATABASE_URL"] = database or f"sqlite:///{tmp}/cpu.sqlite3"
    from lms import create_app
    from lms.certificates import codes
    from lms.extensions import db
    from lms.models.certificates import Certificate
    from lms.services import accounts, enrolment
    from lms.services.clock import now

    app = create_app()
    with app.app_context():
        db.create_all()
        user = accounts.create_user(db.session, accounts.Profile("Bench Reader", "bench@example.org",
                                    "ngo", "", "", "Punjab", "Lahore"), "bench password 1", now=now())  # fmt: skip
        db.session.flush()
        catalog = app.extensions["lms.catalog"]
        course = next(iter(catalog))
        enrolment.enrol(db.session, catalog, user.id, course.slug, now=now())
        cert = Certificate(user_id=user.id, course_slug=course.slug, serial="BENCH-1-000001",
                           code=codes.new_code(), name="Bench Reader", course_title=course.title,
                           certificate_title=course.certificate_title, minutes=course.required_minutes,
                           modules=[m.title for m in course.modules], issued_at=now(),
                           issuer_name="Bench", signatory_name="Bench", signatory_title="Bench",
                           content_version="bench", recipient_salt="x", recipient_hash="sha256$x",
                           status_index=1)  # fmt: skip
        db.session.add(cert)
        db.session.commit()
        lesson = "/courses/" + course.modules[0].lessons[0].key
        verify = "/verify/" + codes.grouped(cert.code)
        cookie = app.session_interface.get_signing_serializer(app).dumps(
            {"_user_id": f"{user.id}.{user.session_version}", "_fresh": True}
        )
    client = app.test_client()
    client.set_cookie("session", cookie)
    gzip = {"Accept-Encoding": "gzip"}
    # a certificate is checked by someone who is not logged in (an employer, a parent): no cookie
    pages = {
        "lesson": (client, lesson, gzip),
        "verify": (app.test_client(use_cookies=False), verify, gzip),
    }
    for name, (c, path, headers) in list(pages.items()):
        response = c.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        twin = _plain(response).test_client()
        pages[f"plain {name}"] = (twin, "/plain", headers)
    if profile:
        import cProfile
        import pstats

        c, path, headers = pages[profile]
        with cProfile.Profile() as profiler:
            for _ in range(requests):
                c.get(path, headers=headers)
        pstats.Stats(profiler).sort_stats(sort).print_stats(40)
        if dump:
            profiler.dump_stats(dump)  # for pstats' print_callers / print_callees
    result = {name: round(_cpu_per_request(c, path, requests, headers), 1)
              for name, (c, path, headers) in pages.items()}  # fmt: skip
    for name in ("lesson", "verify"):
        result[f"{name} ratio"] = round(result[f"plain {name}"] / result[name], 3)
    if database:
        with app.app_context():
            db.session.remove()
            db.drop_all()
    os.environ.clear()
    os.environ.update(saved)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--profile", choices=("lesson", "verify"))
    parser.add_argument("--database")
    parser.add_argument("--sort", default="tottime", help="with --profile: pstats' sort key")
    parser.add_argument("--dump", help="with --profile: write the profile to this file")
    options = parser.parse_args()
    result = measure(
        options.requests, options.profile, options.database, options.sort, options.dump
    )
    print(
        f"cpu        lesson page {result['lesson']:.0f} µs a request (plain app "
        f"{result['plain lesson']:.0f} µs: x{result['lesson ratio']:.2f}); verification page "
        f"{result['verify']:.0f} µs (plain {result['plain verify']:.0f} µs: "
        f"x{result['verify ratio']:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
