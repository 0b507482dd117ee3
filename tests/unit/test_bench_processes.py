"""The bench's per-process CPU accounting (``bench.processes``) reads what ``/proc`` says."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import processes

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def test_cpu_seconds_counts_work_done_and_ignores_processes_gone():
    before = processes.cpu_seconds([os.getpid()])
    end = time.process_time() + 0.05
    while time.process_time() < end:
        pass
    assert processes.cpu_seconds([os.getpid()]) - before >= 0.03
    assert processes.cpu_seconds([2**22 + 12345]) == 0  # no such process


def test_tree_holds_a_child_and_named_finds_it_by_command():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in processes.tree(os.getpid())
        command = Path(f"/proc/{child.pid}/comm").read_text().strip()
        assert child.pid in processes.named(command)
    finally:
        child.kill()
        child.wait()


def test_metered_gives_cpu_per_request():
    def rate() -> float:
        end = time.process_time() + 0.05
        while time.process_time() < end:
            pass
        return 100.0  # as if 100 requests a second for the 0.5 s below: 50 requests

    per_second, used = processes.metered(rate, 0.5, {"me": [os.getpid()]})
    assert per_second == 100.0
    assert 600 <= used["me"] <= 2000  # 50 ms of CPU over 50 requests: about 1,000 µs each
