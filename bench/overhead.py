"""The app's own overhead: the lesson and verification pages against a plain Flask app.

    python -m bench.overhead [--seconds 2] [--rounds 5] [--workers 5] [--clients 8]

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
from pathlib import Path

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
        seconds: float, rounds: int) -> dict:  # fmt: skip
    """``rate(port, path, cookie, seconds)`` -> requests per second."""
    rate(plain_port, "/plain", "", 1.0)  # warm up
    lesson, verify, plain = [], [], []
    for _ in range(rounds):
        lesson.append(rate(port, lesson_url, cookie, seconds))
        plain.append(rate(plain_port, "/plain", "", seconds))
        verify.append(rate(port, f"/verify/{code}", "", seconds))
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
    result["ok"] = (
        result["lesson_ratio"] >= BUDGET_LESSON and result["verify_ratio"] >= BUDGET_VERIFY
    )
    print(
        f"{'':<10} against a plain Flask app with the same bytes ({result['plain_rps']:.0f} req/s): "
        f"lesson page x{result['lesson_ratio']:.2f} ({lesson_pairs[0]:.2f}-{lesson_pairs[-1]:.2f}; "
        f"budget >= {BUDGET_LESSON}), verification page x{result['verify_ratio']:.2f} "
        f"({verify_pairs[0]:.2f}-{verify_pairs[-1]:.2f}; budget >= {BUDGET_VERIFY})"
    )
    return result


def main() -> int:
    from bench.__main__ import _browser_cookie, _prepare, _rate, _serve

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--clients", type=int, default=8)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, multiprocessing.Pool(options.clients) as pool:
        env = {
            **os.environ,
            "LMS_ENV": "production",
            "LMS_SECRET_KEY": SECRET_KEY,
            "LMS_SIGNING_KEY": SIGNING_KEY,
            "LMS_SECURE_COOKIES": "0",
            "LMS_VERIFY_LIMIT": "1000000 per minute",
            "LMS_RATELIMIT_STORAGE_URL": "memory://",
            "LMS_DATABASE_URL": f"sqlite:///{tmp}/overhead.sqlite3",
        }
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
                         options.rounds)  # fmt: skip
        finally:
            for process in (proc, plain_proc):
                if process is not None:
                    process.terminate()
                    process.wait(10)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
