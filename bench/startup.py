"""Start-up and memory: how long until the first 200, and what the workers hold at idle.

    python -m bench.startup [--rounds 3] [--workers 5]

Start-up, each figure a ratio against a baseline timed in the same run, with the app's modules
compiled to bytecode first (as ``pip install`` leaves a deployment):
- one process: import the app and build it (``create_app``) with the compiled catalog on disk
  (warm) and without it (cold: a fresh cache folder, so every lesson is validated and rendered),
  against a plain Flask app's import and creation (lesson pages are rendered when first asked
  for; gunicorn's master renders them all, below);
- gunicorn as the README deploys it (``--preload``, five workers) from launch to the first 200 of
  ``/healthz``, against one gunicorn worker started the same way: rounds alternate and the ratio is
  the median of the paired rounds. Budgets (issue 23): one process <= 1.0 s on an idle machine;
  five workers <= 1.5x one.

Memory: PSS (``/proc/PID/smaps_rollup``: shared pages divided among the processes sharing them, so
the sum is what the deployment really costs) of the gunicorn master and its workers at idle, after
every worker has served requests; then with one more worker, whose cost is the difference. Budget:
five workers <= 200 MB together.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.production import SECRET_KEY, SIGNING_KEY

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BUDGET_SINGLE_S, BUDGET_WORKERS_RATIO, BUDGET_PSS_MB = 1.0, 1.5, 200

_TIMED = """
import sys, time
start, cpu = time.perf_counter(), time.process_time()
{body}
print(time.perf_counter() - start, time.process_time() - cpu)
"""
APP = "from lms import create_app\napp = create_app()"
PLAIN = "from flask import Flask\napp = Flask('plain')\napp.add_url_rule('/', 'i', lambda: 'x')"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _timed(body: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds) to run ``body`` in a new interpreter, from its first line:
    on a busy host the CPU time is the better guess at the wall-clock time on an idle one."""
    out = subprocess.run(
        [PYTHON, "-c", _TIMED.format(body=body)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    wall, cpu = out.split()[-2:]
    return float(wall), float(cpu)


def _status(port: int, path: str = "/healthz") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def start_gunicorn(env: dict[str, str], workers: int, *, preload: bool = True):
    """Launch gunicorn on lms.wsgi:app; return (process, port, seconds to the first 200)."""
    port = _free_port()
    args = [PYTHON, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    args += ["--log-level", "warning"] + (["--preload"] if preload else []) + ["lms.wsgi:app"]
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=ROOT)
    deadline = start + 60
    while time.perf_counter() < deadline:
        try:
            if _status(port) == 200:
                return proc, port, time.perf_counter() - start
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        time.sleep(0.01)
    proc.kill()
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def pss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise RuntimeError(f"no Pss in /proc/{pid}/smaps_rollup")


def idle_pss_mb(env: dict[str, str], workers: int, *, preload: bool = True) -> tuple[float, float]:
    """(master + workers PSS in MB, the master's share) once every worker has served requests."""
    proc, port, _ = start_gunicorn(env, workers, preload=preload)
    try:
        deadline = time.perf_counter() + 30
        while len(_children(proc.pid)) < workers and time.perf_counter() < deadline:
            time.sleep(0.05)
        for _ in range(40 * workers):  # new connections are spread over the workers
            for path in ("/healthz", "/", "/courses/"):
                _status(port, path)
        time.sleep(1.0)
        pids = [proc.pid, *_children(proc.pid)]
        total = sum(pss_kb(pid) for pid in pids) / 1024
        return total, pss_kb(proc.pid) / 1024
    finally:
        stop(proc)


def run(env: dict[str, str], rounds: int = 3, workers: int = 5) -> dict:
    """Every start-up and memory figure; prints them and returns them for latest.json."""
    results: dict = {}
    # A deployment's ``pip install`` leaves compiled bytecode beside the modules; a checkout run
    # with PYTHONDONTWRITEBYTECODE (as this machine's shell is) has none for lms/ and would
    # compile some 150 modules at every start, which is not what a server does.
    compile_lms = [PYTHON, "-m", "compileall", "-q", "lms"]
    subprocess.run(compile_lms, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**env, "LMS_CACHE_DIR": f"{tmp}/cache"}
        plain, warm, cold = [], [], []
        for n in range(rounds):
            plain.append(_timed(PLAIN, env))
            cold.append(_timed(APP, {**env, "LMS_CACHE_DIR": f"{tmp}/cold-{n}"}))
            warm.append(_timed(APP, env))
        (w_plain, c_plain), (w_warm, c_warm), (w_cold, c_cold) = min(plain), min(warm), min(cold)
        results["single_process"] = {
            "warm_cache_s": round(w_warm, 3),
            "warm_cache_cpu_s": round(c_warm, 3),
            "cold_cache_s": round(w_cold, 3),
            "cold_cache_cpu_s": round(c_cold, 3),
            "plain_flask_s": round(w_plain, 3),
            "plain_flask_cpu_s": round(c_plain, 3),
        }
        print(
            f"start-up   one process {w_warm:.2f} s ({c_warm:.2f} s CPU) with the compiled catalog, "
            f"x{w_warm / w_plain:.1f} a plain Flask app's {w_plain:.2f} s; {w_cold:.2f} s "
            f"({c_cold:.2f} s CPU) building it, x{w_cold / w_plain:.1f}; best of {rounds}; "
            f"budget <= {BUDGET_SINGLE_S:.1f} s on an idle machine"
        )
        one, many = [], []
        for _ in range(rounds):
            for count, times in ((1, one), (workers, many)):
                proc, _, seconds = start_gunicorn(env, count)
                stop(proc)
                times.append(seconds)
        pairs = sorted(m / o for o, m in zip(one, many, strict=True))
        ratio = statistics.median(pairs)
        results["gunicorn_first_200"] = {
            "workers": workers,
            "one_worker_s": round(statistics.median(one), 3),
            "workers_s": round(statistics.median(many), 3),
            "ratio": round(ratio, 3),
            "ratio_pairs": [round(p, 3) for p in pairs],
        }
        print(
            f"{'':<10} gunicorn --preload -w {workers}: first 200 after "
            f"{statistics.median(many):.2f} s, x{ratio:.2f} one worker's "
            f"{statistics.median(one):.2f} s ({pairs[0]:.2f}-{pairs[-1]:.2f}; "
            f"budget <= {BUDGET_WORKERS_RATIO})"
        )
        total, master = idle_pss_mb(env, workers)
        more, _ = idle_pss_mb(env, workers + 1)
        unshared, _ = idle_pss_mb(env, workers, preload=False)
        results["memory"] = {
            "workers": workers,
            "pss_mb": round(total, 1),
            "master_pss_mb": round(master, 1),
            "one_more_worker_mb": round(more - total, 1),
            "pss_mb_without_preload": round(unshared, 1),
        }
        print(
            f"memory     {workers} workers at idle: {total:.0f} MB PSS with the master "
            f"(budget <= {BUDGET_PSS_MB}); one more worker {more - total:+.0f} MB; without "
            f"--preload {unshared:.0f} MB (x{total / unshared:.2f})"
        )
    results["ok"] = ratio <= BUDGET_WORKERS_RATIO and total <= BUDGET_PSS_MB
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "LMS_ENV": "production",
            "LMS_SECRET_KEY": SECRET_KEY,
            "LMS_SIGNING_KEY": SIGNING_KEY,
            "LMS_DATABASE_URL": f"sqlite:///{tmp}/startup.sqlite3",
        }
        # Run on its own (not from ``make bench``, which prepares the database), the database is
        # new: migrate it first, or every worker's first request fails on a missing table.
        flask = [PYTHON, "-m", "flask", "--app", "lms", "db", "upgrade"]
        subprocess.run(flask, env=env, cwd=ROOT, check=True, capture_output=True)
        return 0 if run(env, options.rounds, options.workers)["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
