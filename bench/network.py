"""Offline and slow connections: bytes a learner's phone fetches, and first paint over slow 3G.

Run by ``python -m bench`` on its gunicorn server (or on its own: ``python -m bench.network``,
which starts one). Reports:

- the first lesson view in KB: the page, every static file it links and the service worker's
  script (``/sw.js``); and what the worker then fetches in the background when it installs (the
  offline page in both languages and the static files the page did not already fetch);
- a module download in KB: every lesson of the first module, as "Save this module for offline
  reading" fetches them;
- the time to first paint (the ``first-contentful-paint`` paint entry) of the lesson in Chromium
  over a slow 3G profile (CDP ``Network.emulateNetworkConditions``: 400 ms latency, 400 kbit/s
  down and up), cache empty, against a baseline measured in the same run: the same document
  with its stylesheets, icon and scripts taken out, served from a plain static file server under
  the same profile; and the first paint of the saved copy with the network cut (served by the
  worker from its cache).

Budgets: the first view (with /sw.js) <= 20 KB; first paint over slow 3G <= 2.5x the baseline.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import http.server
import json
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path

BUDGET_FIRST = 20 * 1024
#: the lesson needs its stylesheet before it paints (the CSP allows no inline style): one more
#: round trip than a document alone, so about twice its time at 400 ms latency
BUDGET_FCP_RATIO = 2.5
SLOW_3G = {
    "offline": False,
    "latency": 400,  # ms
    "downloadThroughput": 400 * 1000 / 8,  # bytes per second
    "uploadThroughput": 400 * 1000 / 8,
}
CHROMIUM = Path(os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium"))
_LINKED = re.compile(r'(?:href|src)="(/static/[^"]+)"')
_SUBRESOURCES = re.compile(r'<link rel="(?:stylesheet|icon)"[^>]*>|<script [^>]*></script>')
FCP = "performance.getEntriesByName('first-contentful-paint').map(e => e.startTime)[0]"


def _get(port: int, path: str, cookie: str | None = None, gzipped: bool = True):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    headers = {"Accept-Encoding": "gzip" if gzipped else "identity", "User-Agent": "lms-bench"}
    if cookie:
        headers["Cookie"] = f"session={cookie}"
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    head = sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 17
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    return head + len(body), body, dict(response.getheaders())


def _bytes(port: int, lesson_url: str, module_urls: list[str], cookie: str) -> dict:
    page, _, _ = _get(port, lesson_url, cookie)
    _, html, _ = _get(port, lesson_url, cookie, gzipped=False)
    linked = sum(_get(port, url)[0] for url in set(_LINKED.findall(html.decode())))
    worker, script, headers = _get(port, "/sw.js")
    if headers.get("Content-Encoding") == "gzip":
        script = gzip.decompress(script)
    precache = json.loads(re.search(rb"const PRECACHE = (\[.*?\]);", script).group(1))
    # what the worker fetches when it installs, less what the page already fetched (the HTTP
    # cache holds those: fingerprinted files are "immutable")
    statics = set(_LINKED.findall(html.decode()))
    install = sum(_get(port, url)[0] for url in precache if url not in statics)
    install += sum(_get(port, f"/offline?lang={lang}")[0] for lang in ("en", "ur"))
    module = sum(_get(port, url, cookie)[0] for url in module_urls)
    return {
        "first_view_bytes": page + linked + worker,
        "worker_script_bytes": worker,
        "worker_install_bytes": install,
        "module_bytes": module,
        "module_lessons": len(module_urls),
        "lesson_html": html,
    }


class _Baseline(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 - the name comes from http.server
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """The browser closing a connection it no longer needs (the throttled network emulation
        does) is not an error of the baseline."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _baseline_server(html: bytes) -> http.server.ThreadingHTTPServer:
    """The lesson's document alone (no stylesheet, icon or script), gzipped as the app sends it."""
    plain = _SUBRESOURCES.sub("", html.decode()).encode()
    handler = type("Baseline", (_Baseline,), {"body": gzip.compress(plain, 9, mtime=0)})
    server = _QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _paint_time(page, timeout_s: float = 30.0) -> float:
    """The page's first contentful paint, asked from Python until the browser has it.

    Not ``page.wait_for_function``: while it waits, Playwright evaluates the condition as a string
    in the page, which the app's CSP (no ``unsafe-eval``) refuses; ``page.evaluate`` runs it through
    the DevTools protocol, outside the page's CSP."""
    deadline = time.monotonic() + timeout_s
    while (value := page.evaluate(FCP)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError("no first-contentful-paint entry")
        page.wait_for_timeout(50)
    return value


def _first_paint(browser, url: str, cookie: dict | None, *, workers: bool = False) -> float:
    context = browser.new_context(service_workers="allow" if workers else "block")
    if cookie:
        context.add_cookies([cookie])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    page.goto(url, wait_until="load", timeout=60_000)
    value = _paint_time(page)
    context.close()
    return value


def _saved_copy_paint(browser, base: str, lesson_url: str, cookie: dict) -> float:
    """First paint of a lesson the worker saved, with the network cut."""
    context = browser.new_context(service_workers="allow")
    context.add_cookies([cookie])
    page = context.new_page()
    page.goto(base + lesson_url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for _ in range(80):
        if page.evaluate(f"caches.match({json.dumps(lesson_url)}).then(hit => !!hit)"):
            break
        page.wait_for_timeout(100)
    context.set_offline(True)
    page.goto(base + lesson_url)
    value = _paint_time(page)
    context.close()
    return value


def _paints(port: int, lesson_url: str, cookie: str, html: bytes, rounds: int) -> dict | None:
    if not CHROMIUM.exists():
        print(f"network    first paint not measured: no Chromium at {CHROMIUM}")
        return None
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{port}"
    session = {"name": "session", "value": cookie, "url": base}
    server = _baseline_server(html)
    baseline_url = f"http://127.0.0.1:{server.server_port}/lesson.html"
    lesson, plain, saved = [], [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            for _ in range(rounds):  # alternated, so both see the same spells of the shared host
                lesson.append(_first_paint(browser, base + lesson_url, session))
                plain.append(_first_paint(browser, baseline_url, None))
            saved = [_saved_copy_paint(browser, base, lesson_url, session) for _ in range(3)]
            browser.close()
    finally:
        server.shutdown()
    return {
        "lesson_fcp_ms": round(statistics.median(lesson)),
        "baseline_fcp_ms": round(statistics.median(plain)),
        "ratio": round(statistics.median(lesson) / statistics.median(plain), 2),
        "lesson_fcp_runs": [round(v) for v in lesson],
        "baseline_fcp_runs": [round(v) for v in plain],
        "saved_copy_offline_fcp_ms": round(statistics.median(saved)),
    }


def run(port: int, lesson_url: str, cookie: str, rounds: int = 5) -> dict:
    sizes = _bytes(port, lesson_url, module_lessons(port, lesson_url, cookie), cookie)
    html = sizes.pop("lesson_html")
    paints = _paints(port, lesson_url, cookie, html, rounds)
    ok = sizes["first_view_bytes"] <= BUDGET_FIRST
    if paints:
        ok &= paints["ratio"] <= BUDGET_FCP_RATIO
    print(
        f"network    first lesson view with /sw.js {sizes['first_view_bytes'] / 1024:.1f} KB "
        f"(<= 20; the worker's script {sizes['worker_script_bytes'] / 1024:.1f} KB), then in "
        f"the background {sizes['worker_install_bytes'] / 1024:.1f} KB for the worker's cache; "
        f"a module download {sizes['module_bytes'] / 1024:.1f} KB "
        f"({sizes['module_lessons']} lessons)"
    )
    if paints:
        print(
            f"{'':<10} first paint over slow 3G (400 ms, 400 kbit/s): lesson "
            f"{paints['lesson_fcp_ms']} ms, the same document alone {paints['baseline_fcp_ms']} ms "
            f"(x{paints['ratio']:.2f}; budget <= {BUDGET_FCP_RATIO}; runs {paints['lesson_fcp_runs']} "
            f"and {paints['baseline_fcp_runs']}); the saved copy offline "
            f"{paints['saved_copy_offline_fcp_ms']} ms  {'OK' if ok else 'OVER BUDGET'}"
        )
    return {**sizes, "first_paint": paints, "ok": ok}


def main() -> int:
    """Start the bench's gunicorn over a fresh SQLite database and measure (``python -m bench.network``)."""
    import tempfile

    from bench import __main__ as bench
    from bench.production import SECRET_KEY

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "LMS_ENV": "production",
            "LMS_SECRET_KEY": SECRET_KEY,
            "LMS_SIGNING_KEY": bench._signing_key_set(),
            "LMS_SECURE_COOKIES": "0",
            "LMS_RATELIMIT_STORAGE_URL": "memory://",
            "LMS_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
        }
        lesson_key, cookie, _, _ = bench._prepare(env)
        env["BENCH_LESSON"] = lesson_key
        proc, port = bench._serve(env, 2)
        try:
            lesson_url = "/courses/" + lesson_key
            cookie = bench._browser_cookie(port, lesson_url, cookie)
            result = run(port, lesson_url, cookie, options.rounds)
        finally:
            proc.terminate()
            proc.wait(10)
    return 0 if result["ok"] else 1


def module_lessons(port: int, lesson_url: str, cookie: str) -> list[str]:
    """The lessons "Save this module for offline reading" fetches for the lesson's module: the
    addresses its button on the course page carries."""
    course = "/".join(lesson_url.split("/")[:3])
    _, html, _ = _get(port, course, cookie, gzipped=False)
    for found in re.findall(r'data-save-module="([^"]+)"', html.decode()):
        urls = found.split()
        if lesson_url in urls:
            return urls
    raise RuntimeError(f"{course}: no save button for the module of {lesson_url}")


if __name__ == "__main__":
    raise SystemExit(main())
