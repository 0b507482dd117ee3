"""Lesson page throughput against a bare route under gunicorn, and the bytes a lesson view costs.

    python -m bench [--seconds 3] [--rounds 7] [--workers 2*cores+1] [--clients 8]
    python -m bench --only lesson    # the lesson page in English and in Urdu, on SQLite, alone

Starts gunicorn on loopback over a fresh SQLite database (and over PostgreSQL when
``LMS_BENCH_DATABASE_URL`` is set or the local server answers), logs a learner in, and alternates
timed rounds of GET <lesson> and GET /bench/bare from several client processes, each request on a
new connection as a phone on a bad network would make it. Prints requests per second and the ratio
lesson/bare per database (the median of the rounds' paired ratios, with their range), and the bytes
of a first and a later lesson view, in English and in the Urdu interface (the Urdu font counted
apart: it is fetched once and cached). Rates are medians of the rounds. Budgets (issue 2):
ratio >= 0.70; first view <= 20 KB; later views <= 8 KB. The same for a translated lesson read in
Urdu (issue 16), when the content has one: its own prerendered page, so the same budgets. On
SQLite, ``bench/network.py`` adds the offline and slow-connection figures (issue 19).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from bench import cpu, figures, heartbeats, matrix, network, overhead, startup
from bench.production import SECRET_KEY, SIGNING_KEY

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BUDGET_RATIO, BUDGET_FIRST, BUDGET_LATER = 0.70, 20 * 1024, 8 * 1024
BUDGET_BEATS = 500
BUDGET_BEATS_RATIO = 0.35  # heartbeats against the bare route (issue 23: on PostgreSQL)
BUDGET_PDF_MS = 100
BUDGET_PDF_RATIO = 2.0
BUDGET_MATRIX_MS = {500: 100, 5000: 1000}  # issue 23; DESIGN.md §6 says 150 ms for 500
HEADERS = {"Accept-Encoding": "gzip, deflate", "User-Agent": "lms-bench"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(env: dict[str, str]) -> tuple[str, str, str, str | None]:
    """Migrate, create an enrolled learner; return (lesson key, session cookie, certificate code,
    the key of the course's first lesson translated into Urdu or None)."""
    script = r"""
import json, sys
from flask_migrate import upgrade
from lms import create_app
from lms.extensions import db
from lms.services import accounts, enrolment
from lms.services.clock import now
app = create_app()
with app.app_context():
    upgrade(directory=str(app.root_path) + "/../migrations")
    user = accounts.find_by_email(db.session, "bench@example.org")
    if user is None:
        user = accounts.create_user(db.session, accounts.Profile("Bench Reader", "bench@example.org",
            "ngo", "", "", "Punjab", "Lahore"), "bench password 1", now=now())
        db.session.flush()
    course = next(iter(app.extensions["lms.catalog"]))
    enrolment.enrol(db.session, app.extensions["lms.catalog"], user.id, course.slug, now=now())
    db.session.commit()
    lesson = course.modules[0].lessons[0]
    cookie = app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": f"{user.id}.{user.session_version}", "_fresh": True})
    from lms.certificates import codes
    from lms.models.certificates import Certificate
    cert = Certificate(user_id=user.id, course_slug=course.slug, serial="BENCH-1-" + codes.new_code()[:6],
        code=codes.new_code(), name="Bench Reader", course_title=course.title,
        certificate_title=course.certificate_title, minutes=course.required_minutes,
        modules=[m.title for m in course.modules], issued_at=now(), issuer_name="Bench",
        signatory_name="Bench", signatory_title="Bench", content_version="bench",
        recipient_salt="x", recipient_hash="sha256$x", status_index=999_999)
    db.session.add(cert)
    db.session.commit()
    translated = next((l.key for l in course.lessons if l.in_locale("ur") is not l), None)
    print(json.dumps({"lesson": lesson.key, "cookie": cookie, "code": codes.grouped(cert.code),
        "translated": translated}))
"""
    out = subprocess.run(
        [PYTHON, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return data["lesson"], data["cookie"], data["code"], data["translated"]


def _hammer(args: tuple[int, str, str, float]) -> int:
    """Requests on fresh connections as fast as one process can send them (raw sockets: the
    client must cost little, as it shares the machine with the server)."""
    port, path, cookie, seconds = args
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Encoding: gzip\r\n"
        f"User-Agent: lms-bench\r\nCookie: session={cookie}\r\nConnection: close\r\n\r\n"
    ).encode()
    done, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(request)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        status = b"".join(chunks[:1])[9:12]
        if status != b"200":
            raise RuntimeError(f"{path}: HTTP {status.decode() or 'no answer'}")
        done += 1
    return done


def _rate(pool, port, path, cookie, seconds, clients) -> float:
    counts = pool.map(_hammer, [(port, path, cookie, seconds)] * clients)
    return sum(counts) / seconds


def _get(port: int, path: str, cookie: str | None = None, lang: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = dict(HEADERS)
    cookies = [f"session={cookie}"] if cookie else []
    if lang:
        cookies.append(f"lms_lang={lang}")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    head = sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 17
    conn.close()
    return response.status, dict(response.getheaders()), head + len(body)


def _bytes_per_view(
    port: int, lesson_url: str, cookie: str, lang: str | None = None
) -> tuple[int, int, int]:
    """First view: the page and every static file it links; later: the page alone (statics cached);
    and the web fonts its stylesheets name (the Urdu font, fetched once and cached for a year)."""
    status, headers, page_bytes = _get(port, lesson_url, cookie, lang)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        "GET",
        lesson_url,
        headers={
            **HEADERS,
            "Cookie": f"session={cookie}" + (f"; lms_lang={lang}" if lang else ""),
            "Accept-Encoding": "identity",
        },
    )
    html = conn.getresponse().read().decode()
    conn.close()
    statics = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    first = page_bytes
    fonts = 0
    for url in statics:
        _, static_headers, size = _get(port, url)
        assert "immutable" in static_headers.get("Cache-Control", ""), url
        first += size
        if url.startswith("/static/css/"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", url, headers={"Accept-Encoding": "identity"})
            css = conn.getresponse().read().decode()
            conn.close()
            for font in re.findall(r'url\("?\.\./(fonts/[^")]+)', css):
                _, font_headers, size = _get(port, "/static/" + font)
                assert "immutable" in font_headers.get("Cache-Control", ""), font
                fonts += size
    return first, page_bytes, fonts


def _browser_cookie(port: int, path: str, cookie: str) -> str:
    """The session cookie as a browser holds it after its first page (CSRF token and all)."""
    for _ in range(3):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", path, headers={**HEADERS, "Cookie": f"session={cookie}"})
        response = conn.getresponse()
        response.read()
        conn.close()
        fresh = re.search(r"session=([^;]+)", response.getheader("Set-Cookie") or "")
        if not fresh:
            return cookie
        cookie = fresh.group(1)
    raise SystemExit("the lesson page sets a new session cookie on every request")


def _p50_ms(port: int, path: str, cookie: str, n: int = 300) -> float:
    """Median latency of one request at a time (new connection each), in milliseconds."""
    args = (port, path, cookie, 0.0)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        _one(*args[:3])
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1000


def _one(port: int, path: str, cookie: str) -> None:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n"
        f"Cookie: session={cookie}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(request)
        while conn.recv(65536):
            pass


def _serve(
    env: dict[str, str], workers: int, app: str = "bench.wsgi:app", ready: str = "/healthz"
) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--preload",  # as the README deploys it: the master builds the app, workers share it
            app,
        ],
        env=env,
        cwd=ROOT,
    )
    for _ in range(600):
        try:
            if _get(port, ready)[0] == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def _postgres_url() -> str | None:
    url = os.environ.get("LMS_BENCH_DATABASE_URL")
    if url:
        return url
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=0.5).close()
    except OSError:
        return None
    return "postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench"


def _signing_key_set() -> str:
    """A throwaway Open Badges 3.0 signing key (production refuses to start without one)."""
    from lms.certificates.keys import new_key_set

    return new_key_set()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--learners", type=int, default=2000, help="readers sending heartbeats")
    parser.add_argument(
        "--only", choices=["lesson"], help="lesson: only the lesson page, English and Urdu, against "
        "the bare route on SQLite (bench/results/lesson.json)",
    )  # fmt: skip
    options = parser.parse_args()
    if options.only == "lesson":
        return _lesson_only(options)

    databases = {"sqlite": None}
    if (pg := _postgres_url()) is not None:
        databases["postgresql"] = pg
    results: dict = {
        "budgets": {"ratio": BUDGET_RATIO, "first_bytes": BUDGET_FIRST, "later_bytes": BUDGET_LATER}
    }
    failed = False
    with tempfile.TemporaryDirectory() as tmp, multiprocessing.Pool(options.clients) as pool:
        for name, url in databases.items():
            env = {
                **os.environ,
                "LMS_ENV": "production",
                "LMS_SECRET_KEY": SECRET_KEY,
                "LMS_SIGNING_KEY": _signing_key_set(),
                "LMS_SECURE_COOKIES": "0",
                "LMS_VERIFY_LIMIT": "1000000 per minute",  # measure the page, not the limiter
                "LMS_RATELIMIT_STORAGE_URL": "memory://",
                "LMS_DATABASE_URL": url or f"sqlite:///{tmp}/bench.sqlite3",
            }
            if name == "postgresql":
                _reset_postgres(url)
            lesson_key, cookie, code, urdu_key = _prepare(env)
            env["BENCH_LESSON"] = lesson_key
            lesson_url = "/courses/" + lesson_key
            proc, port = _serve(env, options.workers)
            try:
                cookie = _browser_cookie(port, lesson_url, cookie)
                _rate(pool, port, lesson_url, cookie, 1.0, options.clients)  # warm up
                # the Urdu reader: the same session, the language chosen on this browser
                urdu_url, urdu_cookie = f"/courses/{urdu_key}", f"{cookie}; lms_lang=ur"
                lesson_rates, bare_rates, urdu_rates = [], [], []
                for _ in range(options.rounds):
                    lesson_rates.append(
                        _rate(pool, port, lesson_url, cookie, options.seconds, options.clients)
                    )
                    bare_rates.append(
                        _rate(pool, port, "/bench/bare", cookie, options.seconds, options.clients)
                    )
                    # after the bare round, so that the lesson/bare pairs stay as they were
                    if urdu_key:
                        urdu_rates.append(
                            _rate(
                                pool, port, urdu_url, urdu_cookie, options.seconds, options.clients
                            )
                        )
                # the translated lesson, or else the first lesson in the Urdu interface
                urdu_first, urdu_later, urdu_font = _bytes_per_view(
                    port, urdu_url if urdu_key else lesson_url, cookie, "ur"
                )
                if urdu_key:
                    urdu_p50 = _p50_ms(port, urdu_url, urdu_cookie)
                beats = heartbeats.prepare(PYTHON, env, ROOT, options.learners)
                beaten = heartbeats.run(
                    pool, port, beats, options.seconds, options.rounds, options.clients,
                    partial(_rate, pool, port, "/bench/bare", cookie, options.seconds, options.clients),
                )  # fmt: skip
                first, later, _ = _bytes_per_view(port, lesson_url, cookie)
                if name == "sqlite":  # offline and slow connections (issue 19): once is enough
                    results["network"] = network.run(port, lesson_url, cookie)
                    failed |= not results["network"]["ok"]
                lesson_p50 = _p50_ms(port, lesson_url, cookie)
                verify_rps = statistics.median(
                    _rate(pool, port, f"/verify/{code}", "", options.seconds, options.clients)
                    for _ in range(options.rounds)
                )
                bare_p50 = _p50_ms(port, "/bench/bare", cookie)
                overhead.save_response(port, lesson_url, cookie, Path(tmp) / "plain.json")
                plain_env = {**env, "BENCH_PLAIN_RESPONSE": f"{tmp}/plain.json"}
                plain_proc, plain_port = _serve(
                    plain_env, options.workers, "bench.plain:app", "/plain"
                )
                try:
                    against_plain = overhead.run(
                        lambda p, path, c, s: _rate(pool, p, path, c, s, options.clients),
                        port, plain_port, lesson_url, cookie, code, options.seconds, options.rounds,
                        partial(overhead.server_groups, {port: proc, plain_port: plain_proc},
                                name == "postgresql"),
                    )  # fmt: skip
                finally:
                    plain_proc.terminate()
                    plain_proc.wait(10)
            finally:
                proc.terminate()
                proc.wait(10)
            ids = [learner["id"] for learner in beats["learners"]]
            stored = heartbeats.check(PYTHON, env, ROOT, ids)
            sent, acknowledged = beaten["sent"], beaten["acknowledged"]
            lost = (
                beaten["errors"]
                + abs(stored["total"] - acknowledged)
                + sum(1 for k, v in sent.items() if stored["seqs"].get(k) != v)
            )
            beats_rps = beaten["rate"]
            # Each lesson round runs right before a bare round, under the same load on the shared
            # host; the median of those paired ratios shrugs off the host's slower and faster spells.
            pairs = sorted(
                lesson / bare for lesson, bare in zip(lesson_rates, bare_rates, strict=True)
            )
            ratio = statistics.median(pairs)
            lesson_rps, bare_rps = statistics.median(lesson_rates), statistics.median(bare_rates)
            results[name] = {
                "lesson": lesson_key,
                "lesson_rps": round(lesson_rps, 1),
                "bare_rps": round(bare_rps, 1),
                "ratio": round(ratio, 3),
                "ratio_pairs": [round(p, 3) for p in pairs],
                "first_view_bytes": first,
                "later_view_bytes": later,
                "urdu_first_view_bytes": urdu_first,
                "urdu_later_view_bytes": urdu_later,
                "urdu_font_bytes": urdu_font,
                "lesson_p50_ms": round(lesson_p50, 2),
                "bare_p50_ms": round(bare_p50, 2),
                "heartbeats_per_second": round(beats_rps, 1),
                "heartbeats_ratio": round(beaten["ratio"], 3),
                "heartbeats_ratio_pairs": [round(p, 3) for p in beaten["pairs"]],
                "verify_page_rps": round(verify_rps, 1),
                "heartbeat_seconds_credited": stored["total"],
                "heartbeat_seconds_acknowledged": acknowledged,
                "heartbeats_lost": lost,
                "against_plain_flask": against_plain,
            }
            if urdu_key:
                # each Urdu round ran right after a bare round: paired with that one
                urdu_pairs = sorted(u / b for u, b in zip(urdu_rates, bare_rates, strict=True))
                urdu_ratio = statistics.median(urdu_pairs)
                urdu_ok = (
                    urdu_ratio >= BUDGET_RATIO
                    and urdu_first <= BUDGET_FIRST
                    and urdu_later <= BUDGET_LATER
                )
                results[name]["urdu"] = {
                    "lesson": urdu_key,
                    "lesson_rps": round(statistics.median(urdu_rates), 1),
                    "ratio": round(urdu_ratio, 3),
                    "ratio_pairs": [round(p, 3) for p in urdu_pairs],
                    "first_view_bytes": urdu_first,
                    "later_view_bytes": urdu_later,
                    "lesson_p50_ms": round(urdu_p50, 2),
                }
                failed |= not urdu_ok
            failed |= not against_plain["ok"]
            ok = ratio >= BUDGET_RATIO and max(first, urdu_first) <= BUDGET_FIRST
            ok &= max(later, urdu_later) <= BUDGET_LATER
            beats_ratio = beaten["ratio"]
            beats_ok = lost == 0 and beats_ratio >= BUDGET_BEATS_RATIO
            beats_ok &= name != "sqlite" or beats_rps >= BUDGET_BEATS
            failed |= not beats_ok
            failed |= not ok
            print(
                f"{name:<10} lesson {lesson_rps:7.1f} req/s  bare {bare_rps:7.1f} req/s  "
                f"ratio {ratio:.2f} ({pairs[0]:.2f}-{pairs[-1]:.2f}; budget >= {BUDGET_RATIO:.2f})  "
                f"first view {first / 1024:.1f} KB (<= 20)  later {later / 1024:.1f} KB (<= 8)"
                f"  {'OK' if ok else 'OVER BUDGET'}"
            )
            if urdu_key:
                print(
                    f"{'':<10} in Urdu {statistics.median(urdu_rates):7.1f} req/s  ratio "
                    f"{urdu_ratio:.2f} ({urdu_pairs[0]:.2f}-{urdu_pairs[-1]:.2f})  first view "
                    f"{urdu_first / 1024:.1f} KB  later {urdu_later / 1024:.1f} KB  p50 "
                    f"{urdu_p50:.2f} ms ({urdu_key})  {'OK' if urdu_ok else 'OVER BUDGET'}"
                )
            else:
                print(
                    f"{'':<10} in the Urdu interface: first view {urdu_first / 1024:.1f} KB (<= 20)"
                    f"  later {urdu_later / 1024:.1f} KB (<= 8)"
                )
            print(
                f"{'':<10} the Urdu font {urdu_font / 1024:.1f} KB, apart from the views above "
                "(fetched once, cached for a year)"
            )
            print(
                f"{'':<10} heartbeats {beats_rps:7.1f}/s, x{beats_ratio:.2f} the bare route "
                f"({beaten['pairs'][0]:.2f}-{beaten['pairs'][-1]:.2f}, each round paired with a "
                f"bare round after it; budget >= {BUDGET_BEATS_RATIO:.2f}, and on SQLite >= "
                f"{BUDGET_BEATS}/s); {stored['total']} s credited, {acknowledged} s acknowledged; "
                f"lost {lost}  {'OK' if beats_ok else 'OVER BUDGET'}"
            )
            print(
                f"{'':<10} verification page {verify_rps:7.1f} req/s (x{verify_rps / bare_rps:.2f} "
                "the bare route)"
            )
            print(
                f"{'':<10} one at a time: lesson p50 {lesson_p50:.2f} ms, bare p50 "
                f"{bare_p50:.2f} ms (x{lesson_p50 / bare_p50:.2f}; budget lesson <= 2 ms)"
            )
        from lms.web.cohorts import MATRIX_PAGE

        results["matrix"] = {}
        for learners, budget in BUDGET_MATRIX_MS.items():
            grid_ms, health_ms, grid_queries = matrix.matrix_ms(learners)
            results["matrix"][str(learners)] = {"median_ms": round(grid_ms, 1),
                                                "healthz_ms": round(health_ms, 2),
                                                "queries": grid_queries}  # fmt: skip
            failed |= grid_ms > budget
            print(
                f"matrix     {grid_ms:.1f} ms for {learners} learners (first page of "
                f"{MATRIX_PAGE}), {grid_queries} queries (budget <= {budget} ms; "
                f"x{grid_ms / health_ms:.0f} GET /healthz, {health_ms:.2f} ms)"
            )
        pdf_ms, baseline_ms = _pdf_ms()
        results["pdf"] = {"median_ms": round(pdf_ms, 1), "bare_fpdf_page_ms": round(baseline_ms, 1),
                          "ratio": round(pdf_ms / baseline_ms, 2)}  # fmt: skip
        failed |= pdf_ms > BUDGET_PDF_MS or pdf_ms / baseline_ms > BUDGET_PDF_RATIO
        print(
            f"pdf        {pdf_ms:.1f} ms a certificate (median of 15; budget <= {BUDGET_PDF_MS} ms), "
            f"x{pdf_ms / baseline_ms:.2f} a one-line fpdf2 page with the same fonts, {baseline_ms:.1f} ms "
            f"(budget <= {BUDGET_PDF_RATIO})"
        )
        if (pg := _postgres_url()) is not None:  # issue 18: the figures page, on PostgreSQL
            results["figures"] = figures.run(pg + "_figures")  # lms_bench_figures by default
            failed |= not results["figures"]["ok"]
        env = {**os.environ, "LMS_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"}
        env |= {
            "LMS_ENV": "production",
            "LMS_SECRET_KEY": SECRET_KEY,
            "LMS_SIGNING_KEY": SIGNING_KEY,
        }
        results["startup"] = startup.run(env)
        failed |= not results["startup"]["ok"]
        results["cpu"] = cpu.measure(1000)  # in this process: CPU time, the host's load aside
        print(
            f"cpu        lesson page {results['cpu']['lesson']:.0f} µs of CPU a request "
            f"(x{results['cpu']['lesson ratio']:.2f} a plain Flask app with its bytes), "
            f"verification page {results['cpu']['verify']:.0f} µs "
            f"(x{results['cpu']['verify ratio']:.2f})"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    print(f"written to {out / 'latest.json'}")
    return 1 if failed else 0


def _lesson_only(options) -> int:
    """``--only lesson``: the English lesson, the bare route and the translated lesson read in Urdu,
    round after round as in the full run (each lesson round paired with the bare round after it),
    and the bytes of a first and a later view of each; on SQLite, nothing else."""
    with tempfile.TemporaryDirectory() as tmp, multiprocessing.Pool(options.clients) as pool:
        env = {
            **os.environ, "LMS_ENV": "production", "LMS_SECRET_KEY": SECRET_KEY,
            "LMS_SIGNING_KEY": _signing_key_set(), "LMS_SECURE_COOKIES": "0",
            "LMS_RATELIMIT_STORAGE_URL": "memory://",
            "LMS_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
        }  # fmt: skip
        lesson_key, cookie, _code, urdu_key = _prepare(env)
        if urdu_key is None:
            raise SystemExit("the content has no lesson translated into Urdu")
        env["BENCH_LESSON"] = lesson_key
        lesson_url, urdu_url = f"/courses/{lesson_key}", f"/courses/{urdu_key}"
        proc, port = _serve(env, options.workers)
        try:
            cookie = _browser_cookie(port, lesson_url, cookie)
            urdu_cookie = f"{cookie}; lms_lang=ur"
            _rate(pool, port, lesson_url, cookie, 1.0, options.clients)  # warm up
            _rate(pool, port, urdu_url, urdu_cookie, 1.0, options.clients)
            rates: dict[str, list[float]] = {"en": [], "bare": [], "ur": []}
            for _ in range(options.rounds):
                for which, path, jar in (("en", lesson_url, cookie),
                                         ("bare", "/bench/bare", cookie),
                                         ("ur", urdu_url, urdu_cookie)):  # fmt: skip
                    rates[which].append(
                        _rate(pool, port, path, jar, options.seconds, options.clients)
                    )
            views = {
                "en": _bytes_per_view(port, lesson_url, cookie),
                "ur": _bytes_per_view(port, urdu_url, cookie, "ur"),
                # the translated lesson's English original: the same lesson in both languages
                "original": _bytes_per_view(port, urdu_url, cookie),
            }
            p50 = {
                "en": _p50_ms(port, lesson_url, cookie),
                "ur": _p50_ms(port, urdu_url, urdu_cookie),
            }
        finally:
            proc.terminate()
            proc.wait(10)
    results: dict = {"budgets": {"ratio": BUDGET_RATIO, "first_bytes": BUDGET_FIRST,
                                 "later_bytes": BUDGET_LATER}}  # fmt: skip
    failed = False
    for which, key in (("en", lesson_key), ("ur", urdu_key)):
        pairs = sorted(r / b for r, b in zip(rates[which], rates["bare"], strict=True))
        ratio = statistics.median(pairs)
        first, later, font = views[which]
        ok = ratio >= BUDGET_RATIO and first <= BUDGET_FIRST and later <= BUDGET_LATER
        failed |= not ok
        results[which] = {
            "lesson": key, "lesson_rps": round(statistics.median(rates[which]), 1),
            "bare_rps": round(statistics.median(rates["bare"]), 1), "ratio": round(ratio, 3),
            "ratio_pairs": [round(p, 3) for p in pairs], "first_view_bytes": first,
            "later_view_bytes": later, "font_bytes": font, "lesson_p50_ms": round(p50[which], 2),
        }  # fmt: skip
        language = "English" if which == "en" else "Urdu"
        print(
            f"{language:<8} {statistics.median(rates[which]):7.1f} req/s  bare "
            f"{statistics.median(rates['bare']):7.1f} req/s  ratio {ratio:.2f} ({pairs[0]:.2f}-"
            f"{pairs[-1]:.2f}; budget >= {BUDGET_RATIO:.2f})  first view {first / 1024:.1f} KB "
            f"(<= 20)  later {later / 1024:.1f} KB (<= 8)  p50 {p50[which]:.2f} ms  "
            f"{'OK' if ok else 'OVER BUDGET'}  ({key})"
        )
    first, later, _ = views["original"]
    results["original"] = {"lesson": urdu_key, "first_view_bytes": first, "later_view_bytes": later}
    print(
        f"{'':<8} the same lesson in English: first view {first / 1024:.1f} KB, later "
        f"{later / 1024:.1f} KB"
    )
    print(f"{'':<8} the Urdu font {views['ur'][2] / 1024:.1f} KB, apart (fetched once, cached)")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "lesson.json").write_text(json.dumps(results, indent=2))
    print(f"written to {out / 'lesson.json'}")
    return 1 if failed else 0


def _pdf_ms() -> tuple[float, float]:
    """Median time to render a certificate, and a one-line page with the same fonts as baseline."""
    from datetime import UTC, datetime

    from fpdf import FPDF

    from lms.certificates.pdf import FONTS, render
    from lms.certificates.view import CertificateView

    view = CertificateView(
        "Amina Khan", "Certificate of Completion in Child Protection and Safety Awareness",
        "Child Protection and Safety Awareness", 1050,
        tuple(f"Module {i}: a module title of ordinary length" for i in range(1, 8)),
        datetime(2026, 11, 23, tzinfo=UTC), "CPSA-2026-000123", "7KQM2D9XH4TRPV3A",
        "Children's Champions Programme", "Programme Director", "Children's Champions Programme",
        "https://learn.example.org/verify/7KQM-2D9X-H4TR-PV3A",
    )  # fmt: skip

    def bare() -> bytes:  # plain fpdf2: the certificate's two fonts, one line
        pdf = FPDF()
        pdf.add_font("sans", "", FONTS / "NotoSans-Regular.ttf")
        pdf.add_font("sans", "B", FONTS / "NotoSans-Bold.ttf")
        pdf.add_page()
        pdf.set_font("sans", size=12)
        pdf.cell(0, 10, "Amina Khan")
        return bytes(pdf.output())

    def median(work) -> float:
        times = []
        for _ in range(15):
            start = time.perf_counter()
            work()
            times.append((time.perf_counter() - start) * 1000)
        return sorted(times)[len(times) // 2]

    return median(lambda: render(view)), median(bare)


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
