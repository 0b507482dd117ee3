"""The app's own overhead: the lesson and verification pages against a plain Flask app.

    python -m bench.overhead [--seconds 2] [--rounds 5] [--workers 5] [--clients 8] [--postgresql]

On SQLite unless ``--postgresql`` (``LMS_BENCH_DATABASE_URL``, else the local server's
``lms_bench`` database, as ``make bench`` uses).

``bench.plain`` serves the lesson page's exact bytes (body and headers) from a Flask app with no
extension and no hook, under the same gunicorn set-up; rounds of the lesson page, the verification
page and the plain app alternate, and each ratio is the median of the rounds' paired ratios.
Budgets (issue 23): lesson page >= 0.60 of the plain app; verification page >= 0.40.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench import processes
from bench.production import SECRET_KEY, SIGNING_KEY

BUDGET_LESSON, BUDGET_VERIFY = 0.60, 0.40
_SKIP = {"date", "server", "content-length", "set-cookie", "connection"}


def save_response(port: int, path: str, cookie: str, out: Path) -> None:
    """The body and headers of one response of the app, for ``bench.plain`` to serve."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Accept-Encoding": "gzip", "Cookie": f"session={cookie}"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    headers = [(k, v) for k, v in response.getheaders() if k.lower() not in _SKIP]
    out.write_text(json.dumps({"headers": headers, "body": base64.b64encode(body).decode()}))


def run(rate, port: int, plain_port: int, lesson_url: str, cookie: str, code: str,
        seconds: float, rounds: int,
        groups: Callable[[], dict[int, dict[str, list[int]]]] | None = None) -> dict:  # fmt: skip
    """``rate(port, path, cookie, seconds)`` -> requests per second. ``groups()``: per port, the
    processes whose CPU each request of that server costs (``bench.processes``), by name; asked
    again before each round (workers and database backends come and go)."""
    rate(plain_port, "/plain", "", 1.0)  # warm up: every worker started, each with its connections
    rate(port, lesson_url, cookie, 1.0)
    rate(port, f"/verify/{code}", "", 1.0)
    lesson, verify, plain = [], [], []
    cpu: dict[str, list[dict[str, float]]] = {"lesson": [], "verify": [], "plain": []}

    def measured(page: str, p: int, path: str, c: str) -> float:
        if not groups:
            return rate(p, path, c, seconds)
        per_second, used = processes.metered(
            lambda: rate(p, path, c, seconds), seconds, groups()[p]
        )
        cpu[page].append(used)
        return per_second

    for _ in range(rounds):
        lesson.append(measured("lesson", port, lesson_url, cookie))
        plain.append(measured("plain", plain_port, "/plain", ""))
        verify.append(measured("verify", port, f"/verify/{code}", ""))
    lesson_pairs = sorted(x / p for x, p in zip(lesson, plain, strict=True))
    verify_pairs = sorted(x / p for x, p in zip(verify, plain, strict=True))
    result = {
        "plain_rps": round(statistics.median(plain), 1),
        "lesson_rps": round(statistics.median(lesson), 1),
        "verify_rps": round(statistics.median(verify), 1),
        "lesson_ratio": round(statistics.median(lesson_pairs), 3),
        "lesson_pairs": [round(p, 3) for p in lesson_pairs],
        "verify_ratio": round(statistics.median(verify_pairs), 3),
        "verify_pairs": [round(p, 3) for p in verify_pairs],
    }
    if groups:
        result["cpu_us_per_request"] = {
            page: {name: round(statistics.median(r[name] for r in runs), 1) for name in runs[0]}
            for page, runs in cpu.items()
        }
    result["ok"] = (
        result["lesson_ratio"] >= BUDGET_LESSON and result["verify_ratio"] >= BUDGET_VERIFY
    )
    print(
        f"{'':<10} against a plain Flask app with the same bytes ({result['plain_rps']:.0f} req/s): "
        f"lesson page x{result['lesson_ratio']:.2f} ({lesson_pairs[0]:.2f}-{lesson_pairs[-1]:.2f}; "
        f"budget >= {BUDGET_LESSON}), verification page x{result['verify_ratio']:.2f} "
        f"({verify_pairs[0]:.2f}-{verify_pairs[-1]:.2f}; budget >= {BUDGET_VERIFY})"
    )
    for page, used in result.get("cpu_us_per_request", {}).items():
        parts = ", ".join(f"{name} {value:.0f}" for name, value in used.items())
        print(f"{'':<10}   CPU µs a request, {page:<6}: {parts} (total {sum(used.values()):.0f})")
    return result


def server_groups(servers: dict, database: bool) -> dict[int, dict[str, list[int]]]:
    """For ``run``: per port, the server's processes ("app"), the PostgreSQL server's when
    ``database`` ("database"), and the load generator's ("load": this process and its children
    but the servers, i.e. the pool of clients)."""
    apps = {port: processes.tree(proc.pid) for port, proc in servers.items()}
    serving = {pid for pids in apps.values() for pid in pids}
    load = [pid for pid in processes.tree(os.getpid()) if pid not in serving]
    postgres = processes.named("postgres") if database else []
    groups = {}
    for port, pids in apps.items():
        groups[port] = {"app": pids, "load": load}
        if database:
            groups[port]["database"] = postgres
    return groups


def main() -> int:
    from bench.__main__ import (
        _browser_cookie,
        _postgres_url,
        _prepare,
        _rate,
        _reset_postgres,
        _serve,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--postgresql", action="store_true", help="on PostgreSQL, not SQLite")
    options = parser.parse_args()
    postgresql = _postgres_url() if options.postgresql else None
    if options.postgresql and postgresql is None:
        parser.error("no PostgreSQL server at 127.0.0.1:5432 and no LMS_BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp, multiprocessing.Pool(options.clients) as pool:
        env = {
            **os.environ,
            "LMS_ENV": "production",
            "LMS_SECRET_KEY": SECRET_KEY,
            "LMS_SIGNING_KEY": SIGNING_KEY,
            "LMS_SECURE_COOKIES": "0",
            "LMS_VERIFY_LIMIT": "1000000 per minute",
            "LMS_RATELIMIT_STORAGE_URL": "memory://",
            "LMS_DATABASE_URL": postgresql or f"sqlite:///{tmp}/overhead.sqlite3",
        }
        if postgresql:
            _reset_postgres(postgresql)
        lesson_key, cookie, code, _ = _prepare(env)
        env["BENCH_LESSON"] = lesson_key
        lesson_url = "/courses/" + lesson_key
        proc, port = _serve(env, options.workers)
        plain_proc = None
        try:
            cookie = _browser_cookie(port, lesson_url, cookie)
            save_response(port, lesson_url, cookie, Path(tmp) / "plain.json")
            plain_env = {**env, "BENCH_PLAIN_RESPONSE": f"{tmp}/plain.json"}
            plain_proc, plain_port = _serve(plain_env, options.workers, "bench.plain:app", "/plain")

            def rate(p, path, c, s):
                return _rate(pool, p, path, c, s, options.clients)

            result = run(rate, port, plain_port, lesson_url, cookie, code, options.seconds,
                         options.rounds, partial(server_groups, {port: proc, plain_port: plain_proc},
                                                 postgresql is not None))  # fmt: skip
        finally:
            for process in (proc, plain_proc):
                if process is not None:
                    process.terminate()
                    process.wait(10)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
